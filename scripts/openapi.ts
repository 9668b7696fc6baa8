/**
 * `npm run openapi`: regenerates openapi/openapi.json from the app, the TypeScript client's types
 * from it, and docs/problem-codes.md (run from the package root).
 */
import { readFileSync, writeFileSync } from 'node:fs'
import { writeOpenApi } from '../src/openapi.js'
import { writeProblemCodes } from '../src/problem-codes-table.js'
import { CLIENT_TYPES_FILE, generateClientTypes } from './client-types.js'

const path = await writeOpenApi(process.argv[2])
process.stdout.write(`wrote ${path}\n`)
writeFileSync(CLIENT_TYPES_FILE, await generateClientTypes(readFileSync(path, 'utf8')))
process.stdout.write(`wrote ${CLIENT_TYPES_FILE}\n`)
process.stdout.write(`wrote ${writeProblemCodes()}\n`)
