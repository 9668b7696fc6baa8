/** `npm run openapi`: regenerates openapi/openapi.json from the app, and docs/problem-codes.md (run from the package root). */
import { writeOpenApi } from '../src/openapi.js'
import { writeProblemCodes } from '../src/problem-codes-table.js'

const path = await writeOpenApi(process.argv[2])
process.stdout.write(`wrote ${path}\n`)
process.stdout.write(`wrote ${writeProblemCodes()}\n`)
