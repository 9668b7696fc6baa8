/** `npm run openapi`: regenerates openapi/openapi.json from the app (run from the package root). */
import { writeOpenApi } from '../src/openapi.js'

const path = await writeOpenApi(process.argv[2])
process.stdout.write(`wrote ${path}\n`)
