import t from 'tap'
import { request } from 'undici'
import { buildTestApp } from '../helper.js'

t.test('/ redirects a browser to the dashboard, without a key', async (t) => {
  const { app } = await buildTestApp(t)
  const url = await app.listen({ host: '127.0.0.1', port: 0 })
  const res = await request(`${url}/`)
  await res.body.dump()
  t.equal(res.statusCode, 302)
  t.equal(res.headers.location, '/ui')
  const ui = await request(new URL(String(res.headers.location), url))
  t.equal(ui.statusCode, 303, 'which asks for a sign-in')
  t.equal(ui.headers.location, '/ui/sign-in?next=%2Fui')
  await ui.body.dump()
})

t.test('healthz and metrics need no key', async (t) => {
  const { app, auth } = await buildTestApp(t)
  t.same((await app.inject('/healthz')).json(), { status: 'ok' })
  await app.inject({ url: '/v1/servers/default/account', headers: auth() })
  const metrics = await app.inject('/metrics')
  t.equal(metrics.statusCode, 200)
  t.match(metrics.headers['content-type'], /^text\/plain/)
  t.match(metrics.body, /depgate_http_requests_total\{method="GET",route="\/healthz",status="200"\} 1/)
  t.match(metrics.body, /depgate_upstream_request_duration_seconds_count\{server="default",endpoint="account",status="200"\} 1/)
  t.match(metrics.body, /depgate_dep_sessions_total\{server="default",outcome="acquired"\} 1/)
  await app.inject('/no/such/route')
  t.match((await app.inject('/metrics')).body, /route="\(unmatched\)",status="404"/)
})

t.test('readyz: 200 when everything is fine', async (t) => {
  const { app } = await buildTestApp(t)
  const res = await app.inject('/readyz')
  t.equal(res.statusCode, 200)
  t.same(res.json(), { status: 'ready', checks: { store: 'ok', servers: [{ name: 'default', status: 'ok' }] }, reasons: [] })
})

t.test('readyz: 503 with reasons when a token expired or the store fails', async (t) => {
  let fail = false
  const { app, auth } = await buildTestApp(t, {
    wrapStore: (s) => ({ ...s, ping: async () => { if (fail) throw new Error('database is locked'); await s.ping() } })
  })
  await app.inject({
    method: 'PUT',
    url: '/v1/servers/old',
    headers: auth(),
    payload: { token: { consumer_key: 'CK_1', consumer_secret: 'CS_1', access_token: 'AT_1', access_secret: 'AS_1', access_token_expiry: '2020-01-01T00:00:00Z' } }
  })
  fail = true
  const res = await app.inject('/readyz')
  t.equal(res.statusCode, 503)
  t.match(res.json(), {
    status: 'not_ready',
    checks: { store: 'failed', servers: [{ name: 'default', status: 'ok' }, { name: 'old', status: 'token_expired' }] },
    reasons: ['the store (database) does not answer', /"old" expired at 2020-01-01/]
  })
})

t.test('deleting a server drops its series from /metrics', async (t) => {
  const { app, auth } = await buildTestApp(t)
  const url = await app.listen({ host: '127.0.0.1', port: 0 })
  const call = async (method: 'GET' | 'DELETE', path: string): Promise<[number, string]> => {
    const res = await request(`${url}${path}`, { method, headers: auth() })
    return [res.statusCode, await res.body.text()]
  }
  t.equal((await call('GET', '/v1/servers/default/account'))[0], 200)
  t.match((await call('GET', '/metrics'))[1], /depgate_dep_sessions_total\{server="default",outcome="acquired"\} 1/)
  t.equal((await call('DELETE', '/v1/servers/default'))[0], 204)
  const [status, text] = await call('GET', '/metrics')
  t.equal(status, 200)
  t.notMatch(text, /server="default"/, 'no series of any metric names the deleted server')
  t.match(text, /depgate_http_requests_total\{method="DELETE",route="\/v1\/servers\/:server",status="204"\} 1/, 'the other series stay')
})
