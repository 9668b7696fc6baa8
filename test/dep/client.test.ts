/** Client construction, base URLs, protocol versions and session hand-over corner cases. */
import t from 'tap'
import { DEFAULT_BASE_URL, DepClient, isTokenExpired, validateProfile } from '../../src/dep/index.js'
import { fakeApple, makeClient, send, startServer, TOKEN } from './helpers.js'

t.test('defaults to Apple and accepts only http(s) base URLs', async (t) => {
  const client = new DepClient({ token: TOKEN })
  t.equal(client.baseUrl, DEFAULT_BASE_URL)
  await client.close()
  await client.close()
  t.throws(() => new DepClient({ token: TOKEN, baseUrl: 'ftp://example.com' }), TypeError)
  t.throws(() => new DepClient({ token: TOKEN, baseUrl: 'not a url' }), TypeError)
})

t.test('a base URL with a path prefix (a proxy in front of Apple) is honoured, also in the signature URL', async (t) => {
  const { url, seen } = await startServer(t, (req, res) => {
    if (req.url === '/proxy/apple/session') send(res, 200, { auth_session_token: 'S' })
    else send(res, 200, { server_name: 'via proxy' })
  })
  const { client } = makeClient(t, `${url}/proxy/apple/`)
  t.equal(client.baseUrl, `${url}/proxy/apple`)
  t.match(await client.getAccount(), { server_name: 'via proxy' })
  t.same(seen.map((s) => s.url), ['/proxy/apple/session', '/proxy/apple/account'])
})

t.test('beta tokens are asked with protocol version 1 by default, configurable', async (t) => {
  const { url, seen } = await startServer(t, fakeApple((req, res) => send(res, 200, { betaEnrollmentTokens: [{ token: 'T', title: 'iOS beta', os: 'iOS' }] })))
  const { client } = makeClient(t, url)
  t.same((await client.getBetaEnrollmentTokens()).betaEnrollmentTokens, [{ token: 'T', title: 'iOS beta', os: 'iOS' }])
  const { client: v10 } = makeClient(t, url, { betaProtocolVersion: 10 })
  await v10.getBetaEnrollmentTokens()
  t.same(seen.filter((s) => s.url === '/os-beta-enrollment/tokens').map((s) => s.headers['x-server-protocol-version']), ['1', '10'])
  t.equal(seen[0].headers['x-server-protocol-version'], '10', '/session keeps the client version')
})

t.test('fields Apple adds later survive; missing optional fields are fine', async (t) => {
  const page = { devices: [{ serial_number: 'A', brand_new_field: { x: 1 } }], cursor: 'c', more_to_follow: false, next_gen: true }
  const { url } = await startServer(t, fakeApple((req, res) => send(res, 200, page)))
  const { client } = makeClient(t, url)
  t.same(await client.fetchDevices(), page)
})

t.test('a retry after another caller dropped the session uses the token it started with', async (t) => {
  // Caller A gets a 503 and waits; meanwhile caller B gets a 401, drops S1 and asks for a new
  // session, which the server holds back until A has retried. A's retry must still send S1.
  let sessions = 0
  let releaseSession: () => void = () => {}
  let sessionAsked: () => void = () => {}
  const secondSessionAsked = new Promise<void>((resolve) => { sessionAsked = resolve })
  let aCalls = 0
  const { url, seen } = await startServer(t, (req, res) => {
    if (req.url === '/session') {
      if (++sessions === 1) return send(res, 200, { auth_session_token: 'S1' })
      sessionAsked()
      releaseSession = () => send(res, 200, { auth_session_token: 'S2' })
      return
    }
    if (req.url === '/a') return send(res, ++aCalls === 1 ? 503 : 200, '{}')
    if (req.url === '/b' && req.headers['x-adm-auth-session'] === 'S1') return send(res, 401, 'UNAUTHORIZED')
    send(res, 200, '{}')
  })
  const { client } = makeClient(t, url, { retry: { sleep: async () => { await secondSessionAsked } } })
  await client.request('GET', '/warm-up')
  const a = client.request('GET', '/a')
  const b = client.request('GET', '/b')
  t.equal((await a).status, 200)
  releaseSession()
  t.equal((await b).status, 200)
  const tokens = (path: string): unknown[] => seen.filter((s) => s.url === path).map((s) => s.headers['x-adm-auth-session'])
  t.same(tokens('/a'), ['S1', 'S1'])
  t.same(tokens('/b'), ['S1', 'S2'])
  t.equal(sessions, 2)
})

t.test('isTokenExpired and validateProfile (shared helpers)', async (t) => {
  t.equal(isTokenExpired({ ...TOKEN, access_token_expiry: undefined }, Date.now()), false)
  t.equal(isTokenExpired({ ...TOKEN, access_token_expiry: 'garbage' }, Date.now()), false)
  t.equal(isTokenExpired({ ...TOKEN, access_token_expiry: '2000-01-01T00:00:00Z' }, Date.now()), true)
  const ok = { profile_name: 'P', url: 'https://mdm.example.com' }
  t.equal(validateProfile(ok), undefined)
  t.match(validateProfile({ profile_name: 'P' }), { code: 'CONFIG_URL_REQUIRED', field: 'url' })
  t.match(validateProfile({ ...ok, url: 'x'.repeat(10) }), { code: 'CONFIG_URL_INVALID' })
  t.match(validateProfile({ ...ok, url: 42 }), { code: 'CONFIG_URL_INVALID' })
  t.match(validateProfile({ ...ok, url: 'https://a b.example.com' }), { code: 'CONFIG_URL_INVALID' })
  t.match(validateProfile({ ...ok, profile_name: 'x'.repeat(126) }), { code: 'CONFIG_NAME_INVALID' })
  t.match(validateProfile({ ...ok, department: '' }), { code: 'DEPARTMENT_INVALID' })
  t.match(validateProfile({ ...ok, language: 'en', region: 'USA' }), { code: 'LOCALE_INVALID', field: 'region' })
  t.match(validateProfile({ ...ok, language: 7 }), { code: 'LOCALE_INVALID', field: 'language' })
  t.match(validateProfile({ ...ok, region: 7 }), { code: 'LOCALE_INVALID', field: 'region' })
  t.equal(validateProfile({ ...ok, language: 'en', region: 'US', department: undefined }), undefined)
  t.match(validateProfile({ ...ok, org_magic: 'x'.repeat(257) }), { code: 'MAGIC_INVALID' })
  t.match(validateProfile({ ...ok, support_email_address: '' }), { code: 'SUPPORT_EMAIL_INVALID' })
  t.match(validateProfile({ ...ok, support_phone_number: 'x'.repeat(51) }), { code: 'SUPPORT_PHONE_INVALID' })
})
