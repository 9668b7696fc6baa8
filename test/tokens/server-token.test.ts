import t from 'tap'
import { parseServerToken, ServerTokenError, tokenFingerprint, validateServerToken } from '../../src/tokens/server-token.js'

const token = { consumer_key: 'CK_abc', consumer_secret: 'CS_def', access_token: 'AT_ghi', access_secret: 'AS_jkl', access_token_expiry: '2027-07-16T06:36:41Z' }

t.test('bare JSON', async (t) => {
  t.same(parseServerToken(JSON.stringify(token)), { ...token, access_token_expiry: '2027-07-16T06:36:41.000Z' })
  const { access_token_expiry: _, ...noExpiry } = token
  t.same(parseServerToken(JSON.stringify(noExpiry)), noExpiry)
})

t.test('Apple\'s decrypted MIME text', async (t) => {
  const mime = `Content-Type: text/plain;charset=UTF8\r\nContent-Transfer-Encoding: 7bit\r\n\r\n-----BEGIN MESSAGE-----\r\n${JSON.stringify(token)}\r\n-----END MESSAGE-----\r\n`
  t.equal(parseServerToken(mime).access_secret, 'AS_jkl')
})

t.test('errors say what is wrong and never quote the token', async (t) => {
  t.throws(() => parseServerToken('-----BEGIN MESSAGE-----\n{"consumer_key":"CK_secret"'), { name: 'ServerTokenError', message: /no "-----END MESSAGE-----"/ })
  const notJson = t.throws(() => parseServerToken('MIME-Version: 1.0 CS_topsecret')) as Error
  t.match(notJson.message, /neither JSON/)
  t.notMatch(notJson.message, /topsecret/)
  t.throws(() => parseServerToken(JSON.stringify({ ...token, access_secret: undefined })), /access_secret is required/)
  t.throws(() => parseServerToken(JSON.stringify({ ...token, consumer_key: ' ' })), /consumer_key is required/)
  t.throws(() => parseServerToken(JSON.stringify({ ...token, access_token_expiry: 'soon' })), /access_token_expiry must be an ISO-8601 date/)
  t.throws(() => validateServerToken('text'), /token /)
  t.ok(new ServerTokenError('x') instanceof Error)
})

t.test('fingerprint is short, stable and not the key', async (t) => {
  const fp = tokenFingerprint(token)
  t.match(fp, /^sha256:[a-f0-9]{12}$/)
  t.equal(fp, tokenFingerprint({ consumer_key: 'CK_abc' }))
  t.not(fp, tokenFingerprint({ consumer_key: 'CK_abd' }))
})
