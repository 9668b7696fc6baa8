/** The client's generated types follow the committed document (the document itself: test/openapi.test.ts). */
import { readFileSync } from 'node:fs'
import t from 'tap'
import { CLIENT_TYPES_FILE, generateClientTypes } from '../../../scripts/client-types.js'
import { OPENAPI_FILE } from '../../../src/openapi.js'

t.test('clients/typescript/schema.d.ts is generated from openapi/openapi.json', async (t) => {
  const expected = await generateClientTypes(readFileSync(OPENAPI_FILE, 'utf8'))
  t.equal(readFileSync(CLIENT_TYPES_FILE, 'utf8'), expected, `${CLIENT_TYPES_FILE} is stale: run "npm run openapi" and commit it`)
  t.match(expected, /export interface paths \{/)
})
