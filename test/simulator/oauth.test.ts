import t from 'tap'
import OAuth from 'oauth-1.0a'
import { createHmac } from 'node:crypto'
import { hmacSha1Signature, parseAuthorizationHeader, percentEncode, signatureBaseString } from '../../src/simulator/oauth.js'
import { DEPSIM_CREDENTIALS } from '../../src/simulator/index.js'
import { call, JSON_CT, login, oauthHeader, start } from './fixtures/helper.js'

t.test('RFC 5849 §3.4.1.1 base string', async (t) => {
  const url = new URL('http://EXAMPLE.COM:80/request?b5=%3D%253D&a3=a&c%40=&a2=r%20b')
  const params: Array<[string, string]> = [
    ['realm', 'Example'], ['oauth_consumer_key', '9djdj82h48djs9d2'], ['oauth_token', 'kkk9d7dh3k39sjv7'],
    ['oauth_signature_method', 'HMAC-SHA1'], ['oauth_timestamp', '137131201'], ['oauth_nonce', '7d8f3e4a'],
    ['oauth_signature', 'ignored'],
    // the example's form body `c2&a3=2+q`
    ['c2', ''], ['a3', '2 q']
  ]
  t.equal(signatureBaseString('post', url, params),
    'POST&http%3A%2F%2Fexample.com%2Frequest&a2%3Dr%2520b%26a3%3D2%2520q%26a3%3Da%26b5%3D%253D%25253D%26c%2540%3D%26c2%3D%26oauth_consumer_key%3D9djdj82h48djs9d2%26oauth_nonce%3D7d8f3e4a%26oauth_signature_method%3DHMAC-SHA1%26oauth_timestamp%3D137131201%26oauth_token%3Dkkk9d7dh3k39sjv7')
})

t.test('the classic HMAC-SHA1 example (photos.example.net, OAuth Core 1.0 appendix A.5)', async (t) => {
  const url = new URL('http://photos.example.net/photos?file=vacation.jpg&size=original')
  const base = signatureBaseString('GET', url, [
    ['oauth_consumer_key', 'dpf43f3p2l4k3l03'], ['oauth_token', 'nnch734d00sl2jdk'], ['oauth_signature_method', 'HMAC-SHA1'],
    ['oauth_timestamp', '1191242096'], ['oauth_nonce', 'kllo9940pd9333jh'], ['oauth_version', '1.0']
  ])
  t.equal(base, 'GET&http%3A%2F%2Fphotos.example.net%2Fphotos&file%3Dvacation.jpg%26oauth_consumer_key%3Ddpf43f3p2l4k3l03%26oauth_nonce%3Dkllo9940pd9333jh%26oauth_signature_method%3DHMAC-SHA1%26oauth_timestamp%3D1191242096%26oauth_token%3Dnnch734d00sl2jdk%26oauth_version%3D1.0%26size%3Doriginal')
  t.equal(hmacSha1Signature(base, 'kd94hf93k423kf44', 'pfkkdhi9sl3r4s00'), 'tR3+Ty81lMeYAr/Fid0kMTYa/WM=')
  // and the signing key is pct(cs)&pct(ts), checked against a raw HMAC
  t.equal(hmacSha1Signature('x', 'a b', 'c~'), createHmac('sha1', 'a%20b&c~').update('x').digest('base64'))
})

t.test('percent encoding and the base string URI', async (t) => {
  t.equal(percentEncode("a b!*'()~-._"), 'a%20b%21%2A%27%28%29~-._')
  t.equal(percentEncode('ü'), '%C3%BC')
  t.match(signatureBaseString('GET', new URL('https://h.example:443/p'), []), /^GET&https%3A%2F%2Fh.example%2Fp&$/)
  t.match(signatureBaseString('GET', new URL('http://h.example:8080/p'), []), 'http%3A%2F%2Fh.example%3A8080%2Fp')
  t.match(signatureBaseString('GET', new URL('https://h.example:8443/p?a=2&a=1&a=1'), [['b', 'x']]), 'a%3D1%26a%3D1%26a%3D2%26b%3Dx')
  t.equal(signatureBaseString('GET', new URL('http://h.example/p?a=1&a=1'), []), 'GET&http%3A%2F%2Fh.example%2Fp&a%3D1%26a%3D1')
})

t.test('header parsing', async (t) => {
  t.same(parseAuthorizationHeader('OAuth realm="ADM", oauth_nonce="a%20b"'), { ok: true, params: [['realm', 'ADM'], ['oauth_nonce', 'a b']] })
  t.same(parseAuthorizationHeader('Basic abc'), { ok: false })
  t.same(parseAuthorizationHeader('OAuth oauth_nonce="a", oauth_nonce="b"'), { ok: false })
  t.same(parseAuthorizationHeader('OAuth oauth_nonce=a'), { ok: false })
  t.same(parseAuthorizationHeader('OAuth oauth_nonce="%E0%A4%A"'), { ok: false })
})

t.test('GET /session over HTTP', async (t) => {
  const { url, sim } = await start(t)
  const session = `${url}/session`
  const get = async (authorization?: string, path = '/session'): Promise<[number, string]> => {
    const res = await call(url, 'GET', path, { ua: null, version: null, headers: authorization === undefined ? {} : { authorization } })
    return [res.status, res.text]
  }

  t.test('accepted with and without realm, with depsim content type, with query parameters', async (t) => {
    const token = await login(url)
    t.match(token, /^\d{10}[0-9a-f]{64}$/)
    t.ok(await login(url, { realm: true }))
    const res = await call(url, 'GET', '/session', { headers: { authorization: oauthHeader(session), 'content-type': JSON_CT } })
    t.equal(res.status, 200)
    t.equal(res.headers['content-type'], JSON_CT)
    t.same((await get(oauthHeader(`${session}?x=1%202`), '/session?x=1%202'))[0], 200)
  })

  t.test('accepts a header signed by the oauth-1.0a package (what the client uses)', async (t) => {
    const oauth = new OAuth({
      consumer: { key: DEPSIM_CREDENTIALS.consumer_key, secret: DEPSIM_CREDENTIALS.consumer_secret },
      signature_method: 'HMAC-SHA1',
      hash_function: (base, key) => createHmac('sha1', key).update(base).digest('base64'),
      realm: 'ADM'
    })
    const data = oauth.authorize({ url: session, method: 'GET' }, { key: DEPSIM_CREDENTIALS.access_token, secret: DEPSIM_CREDENTIALS.access_secret })
    const header = oauth.toHeader(data).Authorization
    const [status, body] = await get(header)
    t.equal(status, 200)
    t.match(JSON.parse(body), { auth_session_token: String })
    t.same(await get(header), [401, 'UNAUTHORIZED'], 'and its nonce cannot be replayed')
  })

  t.test('401 for what a retry with the right secrets would fix', async (t) => {
    const good = oauthHeader(session)
    t.same(await get(good.replace(/oauth_signature="[^"]+"/, 'oauth_signature="AAAA"')), [401, 'UNAUTHORIZED'], 'tampered signature')
    t.same(await get(good.replace(/oauth_signature="([^"]{4})/, 'oauth_signature="ZZZZ')), [401, 'UNAUTHORIZED'], 'same-length wrong signature')
    t.same(await get(oauthHeader(session, { credentials: { ...DEPSIM_CREDENTIALS, consumer_key: 'CK_other' } })), [401, 'UNAUTHORIZED'], 'unknown key')
    t.same(await get(oauthHeader(session, { credentials: { ...DEPSIM_CREDENTIALS, access_token: 'AT_other' } })), [401, 'UNAUTHORIZED'], 'unknown token')
    t.same(await get(oauthHeader(session, { credentials: { ...DEPSIM_CREDENTIALS, access_secret: 'AS_wrong' } })), [401, 'UNAUTHORIZED'], 'wrong secret')
    t.same(await get(oauthHeader(session, { timestamp: Math.floor(Date.now() / 1000) - 301 })), [401, 'UNAUTHORIZED'], 'stale timestamp')
    t.same(await get(oauthHeader(session, { timestamp: Math.floor(Date.now() / 1000) + 301 })), [401, 'UNAUTHORIZED'], 'future timestamp')
    const replay = oauthHeader(session, { nonce: 'once' })
    t.equal((await get(replay))[0], 200)
    t.same(await get(replay), [401, 'UNAUTHORIZED'], 'reused nonce')
  })

  t.test('the timestamp window is configurable and old nonces are forgotten', async (t) => {
    sim.config.timestampWindowSec = 1000
    t.equal((await get(oauthHeader(session, { timestamp: Math.floor(Date.now() / 1000) - 900 })))[0], 200)
    sim.config.timestampWindowSec = 300
    t.equal((await get(oauthHeader(session)))[0], 200, 'the old nonce was pruned')
  })

  t.test('400 for malformed requests', async (t) => {
    t.same(await get(), [400, 'BAD_REQUEST'], 'no header')
    t.same(await get('Basic Zm9v'), [400, 'BAD_REQUEST'], 'not OAuth')
    for (const omit of ['oauth_consumer_key', 'oauth_token', 'oauth_signature_method', 'oauth_timestamp', 'oauth_nonce']) {
      t.same(await get(oauthHeader(session, { omit })), [400, 'BAD_REQUEST'], `missing ${omit}`)
    }
    t.same(await get(oauthHeader(session).replace(/, oauth_signature="[^"]+"/, '')), [400, 'BAD_REQUEST'], 'missing signature')
    t.same(await get(oauthHeader(session, { omit: 'oauth_version' })).then(([s]) => s), 200, 'oauth_version is optional')
    const good = oauthHeader(session)
    t.same(await get(`${good}, oauth_nonce="again"`), [400, 'BAD_REQUEST'], 'duplicated parameter')
    t.same(await get(oauthHeader(session, { extra: { oauth_signature_method: 'PLAINTEXT' } })), [400, 'BAD_REQUEST'], 'unsupported method')
    t.same(await get(oauthHeader(session, { extra: { oauth_version: '2.0' } })), [400, 'BAD_REQUEST'], 'unsupported version')
    t.same(await get(oauthHeader(session, { extra: { oauth_callback: 'oob' } })), [400, 'BAD_REQUEST'], 'unsupported parameter')
    t.same(await get(oauthHeader(session, { extra: { oauth_timestamp: 'soon' } })), [400, 'BAD_REQUEST'], 'timestamp not a number')
  })

  t.test('403 when the account refuses', async (t) => {
    sim.config.termsSigned = false
    t.same(await get(oauthHeader(session)), [403, 'T_C_NOT_SIGNED'])
    sim.config.termsSigned = true
    sim.config.accessDenied = true
    t.same(await get(oauthHeader(session)), [403, 'ACCESS_DENIED'])
    sim.config.accessDenied = false
  })

  t.test('GET /token hands out the credentials, as depsim does', async (t) => {
    const res = await call(url, 'GET', '/token', { ua: null, version: null })
    t.same(res.json(), DEPSIM_CREDENTIALS)
  })
})
