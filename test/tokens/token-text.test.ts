import t from 'tap'
import { extractTokenJson, isTokenError, TOKEN_ERROR_CODES, unwrapTokenText } from '../../src/tokens/index.js'
import { TOKEN, TOKEN_JSON, TOKEN_MIME } from './helpers.js'

const invalid = (message: RegExp) => ({ name: 'TokenError', code: 'TOKEN_INVALID', message })

t.test('unwraps the MIME text and the MESSAGE markers', async (t) => {
  t.equal(unwrapTokenText(TOKEN_MIME), TOKEN_JSON)
  t.equal(unwrapTokenText(TOKEN_MIME.replace(/\r\n/g, '\n')), TOKEN_JSON, 'LF line ends')
  t.equal(unwrapTokenText(`\uFEFF${TOKEN_JSON}\n`), TOKEN_JSON, 'bare JSON with a BOM')
  t.equal(unwrapTokenText(`Content-Type: text/plain\r\n\r\n${TOKEN_JSON}`), TOKEN_JSON, 'headers without the wrapper')
  t.same(extractTokenJson(TOKEN_MIME), { ...TOKEN, access_token_expiry: '2027-07-16T06:36:41.000Z' }, 'the expiry in UTC with milliseconds, as a JSON token is stored')
})

t.test('expiry is optional, offsets and fractions accepted', async (t) => {
  const { access_token_expiry: _, ...noExpiry } = TOKEN
  t.same(extractTokenJson(JSON.stringify(noExpiry)), noExpiry)
  t.notOk('access_token_expiry' in extractTokenJson(JSON.stringify(noExpiry)))
  const offset = { ...TOKEN, access_token_expiry: '2027-07-16T08:36:41.123+02:00' }
  t.same(extractTokenJson(JSON.stringify(offset)), { ...TOKEN, access_token_expiry: '2027-07-16T06:36:41.123Z' }, 'an offset is brought to UTC')
  t.notOk('extra' in extractTokenJson(JSON.stringify({ ...TOKEN, extra: 1 })), 'unknown fields dropped')
})

t.test('errors name the field, never the value', async (t) => {
  t.throws(() => extractTokenJson('-----BEGIN MESSAGE-----\n{"a":1}'), invalid(/no "-----END MESSAGE-----"/))
  t.throws(() => extractTokenJson('-----BEGIN MESSAGE-----\nCK_secret\n-----END MESSAGE-----'), invalid(/^the decrypted token is not JSON$/))
  t.throws(() => extractTokenJson('[1]'), invalid(/not a JSON object/))
  t.throws(() => extractTokenJson('null'), invalid(/not a JSON object/))
  const { consumer_secret: _, ...noSecret } = TOKEN
  t.throws(() => extractTokenJson(JSON.stringify(noSecret)), invalid(/^the token's consumer_secret is missing: expected a string starting with CS_$/))
  const swapped = { ...TOKEN, access_token: 'AS_oops-secret-value' }
  const err = t.throws(() => extractTokenJson(JSON.stringify(swapped)), invalid(/access_token is malformed: expected a string starting with AT_/)) as Error
  t.notMatch(err.message, /oops/)
  t.throws(() => extractTokenJson(JSON.stringify({ ...TOKEN, consumer_key: 'CK_' })), invalid(/consumer_key is malformed/))
  t.throws(() => extractTokenJson(JSON.stringify({ ...TOKEN, access_secret: 42 })), invalid(/access_secret is malformed/))
  t.throws(() => extractTokenJson(JSON.stringify({ ...TOKEN, access_token_expiry: 'next year' })), invalid(/access_token_expiry is malformed: expected an ISO-8601/))
})

t.test('error helpers', async (t) => {
  let caught: unknown
  try { extractTokenJson('{}') } catch (err) { caught = err }
  t.ok(isTokenError(caught))
  t.ok(isTokenError(caught, 'TOKEN_INVALID'))
  t.notOk(isTokenError(caught, 'P12_CORRUPT'))
  t.notOk(isTokenError(new Error('x')))
  t.ok(TOKEN_ERROR_CODES.includes('P7M_WRONG_KEY'))
})
