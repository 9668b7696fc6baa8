import { createHmac } from 'node:crypto'
import t from 'tap'
import { sessionAuthorization } from '../../src/dep/oauth.js'
import { TOKEN } from './helpers.js'

// RFC 5849 §3.6 percent-encoding, written independently of the oauth-1.0a package.
const pct = (s: string): string => encodeURIComponent(s).replace(/[!'()*]/g, (c) => `%${c.charCodeAt(0).toString(16).toUpperCase()}`)

function parseHeader (header: string): Record<string, string> {
  const params: Record<string, string> = {}
  for (const m of header.replace(/^OAuth /, '').matchAll(/([a-z_]+)="([^"]*)"/g)) params[m[1]] = decodeURIComponent(m[2])
  return params
}

t.test('signs GET /session with HMAC-SHA1 exactly as RFC 5849 computes it', async (t) => {
  const url = 'http://127.0.0.1:8080/session'
  const header = sessionAuthorization({ ...TOKEN, consumer_secret: 'CS ~!*', access_secret: 'AS&x' }, url, { now: 1_700_000_000_999, nonce: 'abc123' })
  t.match(header, /^OAuth realm="ADM", oauth_consumer_key="CK_test", /)
  const p = parseHeader(header)
  t.same(
    { ...p, oauth_signature: '' },
    { realm: 'ADM', oauth_consumer_key: 'CK_test', oauth_nonce: 'abc123', oauth_signature_method: 'HMAC-SHA1', oauth_timestamp: '1700000000', oauth_token: 'AT_test', oauth_version: '1.0', oauth_signature: '' }
  )
  const params = Object.entries(p).filter(([k]) => k !== 'realm' && k !== 'oauth_signature').sort(([a], [b]) => a.localeCompare(b))
  const base = `GET&${pct(url)}&${pct(params.map(([k, v]) => `${pct(k)}=${pct(v)}`).join('&'))}`
  const expected = createHmac('sha1', `${pct('CS ~!*')}&${pct('AS&x')}`).update(base).digest('base64')
  t.equal(p.oauth_signature, expected)
})

t.test('matches a signature computed by hand for the depsim example values', async (t) => {
  // Base string and key spelled out literally, so a change in the library's encoding shows up.
  const header = sessionAuthorization(
    { consumer_key: 'CK_1', consumer_secret: 'CS_2', access_token: 'AT_3', access_secret: 'AS_4' },
    'https://mdmenrollment.apple.com/session',
    { now: 1_000_000_000_000, nonce: 'n' }
  )
  const base = 'GET&https%3A%2F%2Fmdmenrollment.apple.com%2Fsession&oauth_consumer_key%3DCK_1%26oauth_nonce%3Dn%26oauth_signature_method%3DHMAC-SHA1%26oauth_timestamp%3D1000000000%26oauth_token%3DAT_3%26oauth_version%3D1.0'
  t.equal(parseHeader(header).oauth_signature, createHmac('sha1', 'CS_2&AS_4').update(base).digest('base64'))
})

t.test('uses a fresh random nonce on every call', async (t) => {
  const a = parseHeader(sessionAuthorization(TOKEN, 'http://x/session', { now: 0 }))
  const b = parseHeader(sessionAuthorization(TOKEN, 'http://x/session', { now: 0 }))
  t.match(a.oauth_nonce, /^[0-9a-f]{32}$/)
  t.not(a.oauth_nonce, b.oauth_nonce)
})
