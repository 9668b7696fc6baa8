/**
 * POST …/sync?wait=true answers what the run did: 200 when it succeeded, the run's own problem when
 * it failed (Apple's mapped 4xx, or 502 when Apple kept failing), so `curl -f` notices. Apple is
 * the simulator over real HTTP.
 */
import t from 'tap'
import { buildTestApp, untilReady } from '../../../../helper.js'

const S = '/v1/servers/default'

t.test('sync?wait=true answers a failed run with its problem, never 2xx', async (t) => {
  const m = await buildTestApp(t, { env: { DEPGATE_MIRROR: 'true' }, simulator: { devices: 5 } })
  const sim = m.sim?.app
  if (sim === undefined) throw new Error('no simulator')
  await m.app.ready()
  await untilReady(m.app)
  const sync = async (query = '?wait=true') => await m.app.inject({ method: 'POST', url: `${S}/sync${query}`, headers: m.auth() })

  const ok = await sync()
  t.equal(ok.statusCode, 200)
  t.equal(ok.headers.location, undefined, 'ran: the answer is the outcome, nothing to follow')
  t.match(ok.json(), { last_error: null, sync_requested_at: null })

  // Apple's terms not accepted: Apple's 403 T_C_NOT_SIGNED, with depgate's sentence saying what to do.
  await sim.inject({ method: 'PATCH', url: '/_sim/config', payload: { termsSigned: false } })
  const refused = await sync()
  t.equal(refused.statusCode, 403)
  t.equal(refused.headers['content-type'], 'application/problem+json; charset=utf-8')
  t.match(refused.json(), { status: 403, code: 'T_C_NOT_SIGNED', detail: /^The sync of server "default" failed: .*Terms/i })
  // The status keeps the failure with its status; without wait the request is only recorded.
  const servers = (await m.app.inject({ url: S, headers: m.auth() })).json()
  t.match(servers.inventory.last_error, { code: 'T_C_NOT_SIGNED', status: 403 })
  const requested = await sync('')
  t.equal(requested.statusCode, 202)
  t.equal(requested.headers.location, S, 'accepted: the server\'s inventory tells how the sync ends')
  t.match((await m.app.inject({ url: String(requested.headers.location), headers: m.auth() })).json(), { name: 'default', inventory: { last_error: { code: 'T_C_NOT_SIGNED' } } }, 'whether or not the requested run has happened yet')

  // Apple failing outright: 502 after depgate's retries.
  await sim.inject({ method: 'PATCH', url: '/_sim/config', payload: { termsSigned: true } })
  await sim.inject({ method: 'POST', url: '/_sim/faults', payload: { endpoint: 'sync_devices', kind: 'status', status: 500, times: 0 } })
  const failed = await sync()
  t.equal(failed.statusCode, 502)
  t.match(failed.json(), { code: 'UPSTREAM_ERROR' })

  // Apple well again: the next run succeeds and clears the error.
  await sim.inject({ method: 'DELETE', url: '/_sim/faults' })
  const again = await sync()
  t.equal(again.statusCode, 200)
  t.match(again.json(), { last_error: null })
})
