import t from 'tap'
import { request } from 'undici'
import { buildTestApp, until } from '../../../helper.js'
import { DEPSIM_CREDENTIALS } from '../../../../src/simulator/index.js'

const token = { consumer_key: 'CK_other', consumer_secret: 'CS_s3cr3t', access_token: 'AT_s3cr3t', access_secret: 'AS_s3cr3t', access_token_expiry: '2099-01-01T00:00:00Z' }

t.test('servers: list, get, put, replace, delete — never a secret', async (t) => {
  const { app, auth, sim, store, createKey } = await buildTestApp(t)
  const read = await createKey('read')
  const list = await app.inject({ url: '/v1/servers', headers: auth(read) })
  t.equal(list.statusCode, 200)
  t.match(list.json().servers, [{ name: 'default', base_url: sim?.url, token_expired: false, token_fingerprint: /^sha256:/ }])
  for (const secret of [DEPSIM_CREDENTIALS.consumer_key, DEPSIM_CREDENTIALS.consumer_secret, DEPSIM_CREDENTIALS.access_token, DEPSIM_CREDENTIALS.access_secret]) t.notOk(list.body.includes(secret), 'no token value in the answer')

  const put = await app.inject({ method: 'PUT', url: '/v1/servers/paris', headers: auth(), payload: { token, base_url: sim?.url } })
  t.equal(put.statusCode, 201)
  t.equal(put.headers.location, '/v1/servers/paris', 'where the created server is read')
  t.match(put.json(), { name: 'paris', token_expires_at: '2099-01-01T00:00:00.000Z', token_days_left: Number })
  t.notMatch(put.body, /s3cr3t|CK_other/)

  const mime = `-----BEGIN MESSAGE-----\n${JSON.stringify({ ...token, access_token_expiry: '2020-01-01T00:00:00Z' })}\n-----END MESSAGE-----`
  const replaced = await app.inject({ method: 'PUT', url: '/v1/servers/paris', headers: auth(), payload: { token: mime } })
  t.equal(replaced.statusCode, 200)
  t.equal(replaced.headers.location, undefined, 'nothing created: no Location')
  t.match(replaced.json(), { token_expired: true, base_url: 'https://mdmenrollment.apple.com' })
  t.ok(replaced.json().token_days_left < 0)

  const one = await app.inject({ url: String(put.headers.location), headers: auth(read) })
  t.equal(one.json().name, 'paris')
  t.equal((await app.inject({ url: '/v1/servers/nope', headers: auth(read) })).json().code, 'SERVER_NOT_FOUND')

  const badToken = await app.inject({ method: 'PUT', url: '/v1/servers/x', headers: auth(), payload: { token: 'not a token' } })
  t.equal(badToken.statusCode, 400)
  t.equal(badToken.json().code, 'INVALID_SERVER_TOKEN')
  const missing = await app.inject({ method: 'PUT', url: '/v1/servers/x', headers: auth(), payload: { token: { consumer_key: 'CK_1' } } })
  t.equal(missing.json().code, 'VALIDATION_FAILED')
  t.match(missing.json().detail, /^body\.token/)
  const badName = await app.inject({ method: 'PUT', url: '/v1/servers/Bad_Name', headers: auth(), payload: { token } })
  t.equal(badName.statusCode, 400)
  t.equal(badName.json().errors[0].field, 'params.server')

  t.equal((await app.inject({ method: 'DELETE', url: '/v1/servers/paris', headers: auth() })).statusCode, 204)
  const gone = await app.inject({ method: 'DELETE', url: '/v1/servers/paris', headers: auth() })
  t.equal(gone.statusCode, 404)
  t.equal(gone.json().code, 'SERVER_NOT_FOUND')
  t.same((await app.inject({ url: '/v1/servers', headers: auth(read) })).json().servers.map((s: { name: string }) => s.name), ['default'])

  // Audit entries are written once the answer is sent: wait for the last write's.
  const actions = await until('the audit entries', async () => {
    const all = (await store.audit.list()).map((e) => `${e.action} ${e.target} ${e.result}`)
    return all.includes('server.delete /v1/servers/paris SERVER_NOT_FOUND') && all
  })
  t.ok(actions.includes('server.put /v1/servers/paris ok'))
  t.ok(actions.includes('server.delete /v1/servers/paris SERVER_NOT_FOUND'))
  t.ok(actions.includes('server.put /v1/servers/x INVALID_SERVER_TOKEN'))
})

t.test('a base_url with user:password@ is refused, and the password is echoed nowhere', async (t) => {
  const { app, auth, logs } = await buildTestApp(t, { simulator: false })
  const url = await app.listen({ host: '127.0.0.1', port: 0 })
  const withPassword = 'https://depgate:pa55-w0rd-x@dep-proxy.example.com/'
  const put = await request(`${url}/v1/servers/paris`, {
    method: 'PUT',
    headers: { ...auth(), 'content-type': 'application/json' },
    body: JSON.stringify({ token, base_url: withPassword })
  })
  const body = await put.body.text()
  t.equal(put.statusCode, 400)
  t.match(put.headers['content-type'], /^application\/problem\+json/)
  t.match(JSON.parse(body), { code: 'VALIDATION_FAILED', detail: /^body\.base_url: must not carry a user name or password/, errors: [{ field: 'body.base_url' }] })
  t.equal(app.depServers.has('paris'), false, 'nothing stored')

  // The .p7m upload takes base_url in the query string, which the access log also writes.
  const upload = await request(`${url}/v1/servers/paris/token?base_url=${encodeURIComponent(withPassword)}`, {
    method: 'PUT',
    headers: { ...auth(), 'content-type': 'application/pkcs7-mime' },
    body: 'not read: the query is refused first'
  })
  const uploadBody = await upload.body.text()
  t.equal(upload.statusCode, 400)
  t.match(JSON.parse(uploadBody), { code: 'VALIDATION_FAILED', errors: [{ field: 'querystring.base_url' }] })
  // The access log line is written once the answer is sent.
  t.ok(await until('the refused upload in the log', async () => logs.some((l) => l.includes('/v1/servers/paris/token'))), 'the refused upload was logged')
  await app.close()
  for (const text of [body, uploadBody, logs.join('\n')]) t.notMatch(text, /pa55-w0rd-x/, 'the password is in no answer and no log line')
})
