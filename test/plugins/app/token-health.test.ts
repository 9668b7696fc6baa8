/**
 * Terms state from Apple's answers (the simulator's termsSigned switch), token health in GET
 * /v1/servers and /metrics, expiry warnings, /readyz, and the signed webhook.
 */
import { createServer } from 'node:http'
import t from 'tap'
import { request } from 'undici'
import { signWebhook } from '../../../plugins/app/token-health.js'
import { ManualScheduler } from '../../../src/scheduler.js'
import { DEPSIM_CREDENTIALS } from '../../../src/simulator/index.js'
import { buildTestApp, until } from '../../helper.js'

async function webhookReceiver (t: Parameters<typeof buildTestApp>[0], failFirst = 0) {
  const received: Array<{ headers: Record<string, string | string[] | undefined>, body: string }> = []
  let failures = failFirst
  const server = createServer((req, res) => {
    let body = ''
    req.on('data', (c: Buffer) => { body += c.toString() })
    req.on('end', () => {
      if (failures-- > 0) { res.statusCode = 500; res.end(); return }
      received.push({ headers: req.headers, body })
      res.end('ok')
    })
  })
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  t.teardown(() => new Promise<void>((resolve) => server.close(() => { resolve() })))
  const { port } = server.address() as { port: number }
  return { url: `http://127.0.0.1:${port}/hook`, received }
}

t.test('T_C_NOT_SIGNED sets the terms flag, the next success clears it; events reach the webhook signed', async (t) => {
  const hook = await webhookReceiver(t, 1)
  const secret = 'a-webhook-secret-of-some-length'
  // The refused delivery's retry waits on this clock: the test moves it instead of waiting a second.
  const clock = new ManualScheduler()
  const ctx = await buildTestApp(t, { env: { DEPGATE_TOKEN_WEBHOOK_URL: hook.url, DEPGATE_TOKEN_WEBHOOK_SECRET: secret }, scheduler: clock })
  const sim = ctx.sim!
  const url = await ctx.app.listen({ host: '127.0.0.1', port: 0 })
  const get = async (path: string) => await request(`${url}${path}`, { headers: ctx.auth() })
  await (await request(`${sim.url}/_sim/config`, { method: 'PATCH', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ termsSigned: false }) })).body.dump()

  const refused = await get('/v1/servers/default/account')
  t.equal(refused.statusCode, 403)
  await refused.body.dump()
  const list = await (await get('/v1/servers')).body.json() as { servers: Array<Record<string, unknown>> }
  t.match(list.servers[0], { name: 'default', terms_not_signed: true, terms_not_signed_since: String, last_error: { code: 'T_C_NOT_SIGNED' } })
  const metrics = await (await request(`${url}/metrics`)).body.text()
  t.match(metrics, /depgate_terms_not_signed\{server="default"\} 1/)
  t.match(metrics, /depgate_token_valid\{server="default"\} 1/)
  t.match(metrics, /depgate_token_days_left\{server="default"\} \d+/)
  let flagged = await ctx.store.servers.get('default')
  while (flagged?.termsNotSignedAt === undefined) flagged = await ctx.store.servers.get('default')
  t.match(flagged, { termsNotSignedAt: String, lastError: { code: 'T_C_NOT_SIGNED' } }, 'persisted for restarts and other replicas')
  await (await get('/v1/servers/default/account')).body.dump() // still refused: no second event

  await (await request(`${sim.url}/_sim/config`, { method: 'PATCH', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ termsSigned: true }) })).body.dump()
  const ok = await get('/v1/servers/default/account')
  t.equal(ok.statusCode, 200)
  await ok.body.dump()
  t.match(ctx.app.depServers.get('default').info, { terms_not_signed: false, last_error: null })

  await until('both deliveries', async () => {
    await clock.advance(1000)
    return hook.received.length >= 2
  })
  // The first delivery was refused once and retried, so the order may vary.
  t.same(hook.received.map((r) => JSON.parse(r.body).type).sort(), ['terms.not_signed', 'terms.signed'])
  for (const r of hook.received) {
    t.equal(r.headers['x-depgate-signature'], signWebhook(secret, String(r.headers['x-depgate-timestamp']), r.body))
    for (const v of Object.values(DEPSIM_CREDENTIALS).slice(1, 4)) t.notOk(r.body.includes(v), 'no secret in the event')
  }
  // Persisted (in the background) for restarts and other replicas.
  let stored = await ctx.store.servers.get('default')
  while (stored?.lastError !== undefined) stored = await ctx.store.servers.get('default')
  t.equal(stored?.termsNotSignedAt, undefined)
})

t.test('expiry warnings at 30/14/7/1 days, once each; an expired token fails /readyz', async (t) => {
  const ctx = await buildTestApp(t, { captureLogs: true })
  const soon = new Date(Date.now() + 5.5 * 86_400_000).toISOString()
  await ctx.app.depServers.put('soon', { token: { ...DEPSIM_CREDENTIALS, access_token_expiry: soon } })
  await ctx.app.depServers.put('none', { token: { ...DEPSIM_CREDENTIALS, access_token_expiry: undefined } as never })
  const events: string[] = []
  ctx.app.depServers.onTokenEvent((e) => { events.push(`${e.type} ${e.server} ${String(e.days_left)}`) })
  ctx.app.checkTokenHealth()
  ctx.app.checkTokenHealth()
  t.same(events, ['token.expiring soon 5'])
  t.ok(ctx.logs.some((l) => l.includes('token.expiring')))

  await ctx.app.depServers.put('old', { token: { ...DEPSIM_CREDENTIALS, access_token_expiry: '2001-01-01T00:00:00Z' } })
  ctx.app.checkTokenHealth()
  ctx.app.checkTokenHealth()
  t.same(events.slice(1), [`token.expired old ${String(ctx.app.depServers.get('old').info.token_days_left)}`])
  t.match((await ctx.app.inject({ url: '/metrics' })).body, /depgate_token_valid\{server="old"\} 0/)
  ctx.app.depServers.emitTokenEvent('token.renewed', 'none')
  t.match(events.at(-1), /token.renewed none/)
  const ready = await ctx.app.inject({ url: '/readyz' })
  t.equal(ready.statusCode, 503)
  t.match(ready.json(), { checks: { servers: [{ name: 'default', status: 'ok' }, { name: 'none', status: 'ok' }, { name: 'old', status: 'token_expired' }] } })
})

t.test('the daily check runs on the app\'s clock: a week later the 14-day warning comes', async (t) => {
  const clock = new ManualScheduler()
  const ctx = await buildTestApp(t, { scheduler: clock })
  await ctx.app.depServers.put('later', { token: { ...DEPSIM_CREDENTIALS, access_token_expiry: new Date(clock.now() + 20.5 * 86_400_000).toISOString() } })
  const events: string[] = []
  ctx.app.depServers.onTokenEvent((e) => { events.push(`${e.type} ${e.server} ${String(e.days_left)}`) })
  ctx.app.checkTokenHealth()
  t.same(events, ['token.expiring later 20'])
  await clock.advance(6 * 86_400_000)
  t.same(events, ['token.expiring later 20'], 'still above 14 days: nothing new')
  await clock.advance(86_400_000)
  t.same(events, ['token.expiring later 20', 'token.expiring later 13'])
})

t.test('webhook that never answers: retried, logged, never blocks', async (t) => {
  const clock = new ManualScheduler()
  const ctx = await buildTestApp(t, { captureLogs: true, env: { DEPGATE_TOKEN_WEBHOOK_URL: 'http://127.0.0.1:9/hook', DEPGATE_TOKEN_WEBHOOK_SECRET: 'x'.repeat(16) }, scheduler: clock })
  ctx.app.depServers.emitTokenEvent('token.expiring', 'default', { days_left: 3 })
  await until('the failure logged', async () => ctx.logs.some((l) => l.includes('token webhook could not be reached')))
  // Its retries wait on the clock: run them (1 s, then 2 s), so the close does not wait on them.
  await until('every attempt made', async () => {
    await clock.advance(2000)
    return ctx.logs.filter((l) => l.includes('token webhook could not be reached')).length === 3
  })
  await ctx.app.tokenWebhookSettled()
  t.pass('logged')
})
