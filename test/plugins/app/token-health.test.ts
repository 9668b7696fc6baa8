/**
 * Terms state from Apple's answers (the simulator's termsSigned switch), token health in GET
 * /v1/servers and /metrics, expiry warnings, /readyz, and DEPGATE_TOKEN_WEBHOOK_URL as an outbox subscription.
 */
import { createHmac } from 'node:crypto'
import t from 'tap'
import { request } from 'undici'
import { tokenWebhookSubscription } from '../../../src/events/token-events.js'
import { ManualScheduler } from '../../../src/scheduler.js'
import { DEPSIM_CREDENTIALS } from '../../../src/simulator/index.js'
import { startReceiver } from '../../events/receiver.js'
import { buildTestApp, until } from '../../helper.js'

t.test('T_C_NOT_SIGNED sets the terms flag, the next success clears it; events reach the webhook signed', async (t) => {
  const receiver = await startReceiver()
  t.teardown(receiver.close)
  const hookUrl = receiver.url('/hook')
  const secret = 'a-webhook-secret-of-some-length'
  // The dispatcher's ticks wait on this clock: the test moves it instead of waiting.
  const clock = new ManualScheduler()
  const ctx = await buildTestApp(t, { env: { DEPGATE_TOKEN_WEBHOOK_URL: hookUrl, DEPGATE_TOKEN_WEBHOOK_SECRET: secret }, scheduler: clock })
  // The configured webhook is a subscription with an id derived from its URL; making it again (a
  // restart, another replica) changes nothing.
  const sub = tokenWebhookSubscription({ url: hookUrl, secret })
  await ctx.store.webhooks.ensure(sub.id, sub)
  t.match(await ctx.store.webhooks.list(), [{ id: sub.id, url: hookUrl, enabled: true, events: sub.events }])
  t.equal((await ctx.store.webhooks.list()).length, 1)
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
    return receiver.at('/hook').length >= 2
  })
  t.same(receiver.at('/hook').map((r) => JSON.parse(r.body).type), ['terms.not_signed', 'terms.signed'])
  for (const r of receiver.at('/hook')) {
    // The configured secret's bytes are the HMAC key (Standard Webhooks' `v1,` signature).
    const signed = `${String(r.headers['webhook-id'])}.${String(r.headers['webhook-timestamp'])}.${r.body}`
    t.equal(r.headers['webhook-signature'], `v1,${createHmac('sha256', secret).update(signed).digest('base64')}`)
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
