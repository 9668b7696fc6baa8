/**
 * Webhooks end to end on the real app (SQLite, or PostgreSQL with DEPGATE_TEST_DATABASE=postgres)
 * with real receivers on 127.0.0.1: every delivery verified with the `standardwebhooks` package;
 * a receiver that is down gets every event in order once it is back (the clock is driven, nothing
 * sleeps); Retry-After is honoured; a slow receiver does not delay another; a rotation signs with
 * both secrets for 24 h; 410 disables at once, 3 days of failures too, each with a
 * webhook.disabled event; deliveries are listed, retried, replayed; the CRUD refuses what it must.
 */
import t from 'tap'
import { ManualScheduler } from '../../src/scheduler.js'
import { buildTestApp, until } from '../helper.js'
import { startReceiver, verifyAt, type Received } from './receiver.js'

const HOUR = 3_600_000
const DAY = 24 * HOUR

interface Delivery { id: number, event_id: string, event_type: string, status: string, attempts: number, last_status: number | null, last_error: string | null, next_attempt_at: string | null }

t.test('webhooks', async (t) => {
  const clock = new ManualScheduler()
  const receiver = await startReceiver()
  t.teardown(receiver.close)
  // The periodic tick never fires within the test's advances: each step ticks the dispatcher itself
  // (and the job runner, which has nothing to do here, does not poll at every simulated 2 s).
  const { app, auth, logs } = await buildTestApp(t, { simulator: false, scheduler: clock, webhooks: { tickMs: 365 * DAY }, jobs: { pollMs: 365 * DAY } })
  const call = async (method: 'GET' | 'POST' | 'PATCH' | 'DELETE', url: string, payload?: object) => {
    const res = await app.inject({ method, url, headers: auth(), ...(payload === undefined ? {} : { payload }) })
    return { status: res.statusCode, body: res.body === '' ? undefined : res.json(), headers: res.headers }
  }
  const deliver = async (): Promise<void> => {
    await app.webhooks.dispatcher.tick()
    await app.webhooks.dispatcher.idle()
  }
  const create = async (path: string, extra: object = {}): Promise<{ id: string, secret: string }> => {
    const res = await call('POST', '/v1/webhooks', { url: receiver.url(path), ...extra })
    if (res.status !== 201) throw new Error(`could not create ${path}: ${res.status}`)
    return res.body as { id: string, secret: string }
  }
  const deliveries = async (id: string, query = ''): Promise<Delivery[]> => (await call('GET', `/v1/webhooks/${id}/deliveries${query}`)).body.deliveries
  const payload = (r: Received) => JSON.parse(r.body) as { type: string, id: string, timestamp: string, data: Record<string, unknown> }

  const a = await create('/a', { description: 'receiver a' })
  t.match(a.secret, /^whsec_[A-Za-z0-9+/]{43}=$/, 'the secret is whsec_ + base64 of 32 bytes')

  await t.test('subscriptions: read without the secret, changed, refused', async (t) => {
    const list = await call('GET', '/v1/webhooks')
    t.same(list.body.webhooks.map((w: { id: string }) => w.id), [a.id])
    t.notOk(JSON.stringify(list.body).includes('whsec_'), 'no secret in the list')
    const one = await call('GET', `/v1/webhooks/${a.id}`)
    t.match(one.body, { id: a.id, url: receiver.url('/a'), events: ['*'], servers: ['*'], enabled: true, description: 'receiver a', disabled_reason: null })
    t.equal(one.body.secret, undefined)
    t.match((await call('PATCH', `/v1/webhooks/${a.id}`, { description: 'receiver A', servers: ['default'] })).body, { description: 'receiver A', servers: ['default'] })
    t.match((await call('PATCH', `/v1/webhooks/${a.id}`, { servers: ['*'], events: ['*'], url: receiver.url('/a') })).body, { servers: ['*'] })
    t.match(await call('PATCH', `/v1/webhooks/${a.id}`, { url: 'ftp://files.example.com/x' }), { status: 400, body: { code: 'WEBHOOK_URL_REFUSED' } })
    t.match(await call('POST', '/v1/webhooks', { url: 'https://user:pw@hooks.example.com/x' }), { status: 400, body: { code: 'WEBHOOK_URL_REFUSED' } })
    t.match(await call('POST', '/v1/webhooks', { url: 'not a url' }), { status: 400, body: { code: 'WEBHOOK_URL_REFUSED' } })
    t.match(await call('POST', '/v1/webhooks', { url: 'https://hooks.example.com/x', events: ['device.exploded'] }), { status: 400, body: { code: 'VALIDATION_FAILED' } })
    for (const [method, path] of [['GET', ''], ['PATCH', ''], ['DELETE', ''], ['POST', '/rotate-secret'], ['POST', '/test'], ['GET', '/deliveries'], ['POST', '/deliveries/1/retry'], ['POST', '/replay?since=2020-01-01T00:00:00Z']] as const) {
      t.match(await call(method, `/v1/webhooks/aaaaaaaaaaaa${path}`, method === 'PATCH' ? {} : undefined), { status: 404, body: { code: 'WEBHOOK_NOT_FOUND' } }, `${method} ${path} of an unknown webhook`)
    }
    t.match(await call('POST', `/v1/webhooks/${a.id}/deliveries/999999/retry`), { status: 404, body: { code: 'DELIVERY_NOT_FOUND' } })
  })

  await t.test('a test event arrives signed (standardwebhooks verifies it)', async (t) => {
    const sent = await call('POST', `/v1/webhooks/${a.id}/test`)
    t.equal(sent.status, 202)
    await deliver()
    const [got] = receiver.at('/a')
    t.match(verifyAt(a.secret, got, clock.now()), { type: 'webhook.test', id: sent.body.event_id, data: { webhook_id: a.id } })
    t.equal(got.headers['webhook-id'], sent.body.event_id)
    t.equal(got.headers['content-type'], 'application/json')
    t.match(await deliveries(a.id), [{ status: 'succeeded', attempts: 1, last_status: 200, next_attempt_at: null }])
  })

  await t.test('a receiver that is down gets every event in order once it is back', async (t) => {
    receiver.answers.set('/a', { status: 500, body: 'x'.repeat(5000) })
    const ids: string[] = []
    for (let i = 0; i < 3; i++) ids.push((await call('POST', `/v1/webhooks/${a.id}/test`)).body.event_id)
    await deliver()
    let queue = await deliveries(a.id, '?status=pending')
    t.equal(queue.length, 3)
    const head = queue[queue.length - 1]
    t.match(head, { attempts: 1, last_status: 500, event_id: ids[0] })
    t.ok(head.last_error!.length <= 200, 'only the start of the answer is kept')
    t.equal(Date.parse(head.next_attempt_at!) - clock.now(), 5000, 'the first retry is 5 s later')
    t.equal(receiver.at('/a').length, 2, 'the events behind it wait')
    // Retry-After longer than the schedule's next step (5 min) wins.
    receiver.answers.set('/a', { status: 503, headers: { 'retry-after': '3600' } })
    await clock.advance(5000)
    await deliver()
    queue = await deliveries(a.id, '?status=pending')
    t.equal(Date.parse(queue[queue.length - 1].next_attempt_at!) - clock.now(), HOUR, 'Retry-After: 3600 is honoured')
    receiver.answers.delete('/a')
    await clock.advance(HOUR - 1)
    await deliver()
    t.equal(receiver.at('/a').length, 3, 'not before it is due')
    await clock.advance(1)
    await deliver()
    const got = receiver.at('/a').slice(-3).map((r) => r.headers['webhook-id'])
    t.same(got, ids, 'all three, in order')
    t.same(await deliveries(a.id, '?status=pending'), [])
  })

  await t.test('a slow receiver does not delay another subscription', async (t) => {
    let release = (): void => {}
    receiver.answers.set('/slow', { hold: new Promise<void>((resolve) => { release = resolve }) })
    const slow = await create('/slow')
    const fast = await create('/fast', { events: ['webhook.test'] })
    await call('POST', `/v1/webhooks/${slow.id}/test`)
    await call('POST', `/v1/webhooks/${fast.id}/test`)
    await app.webhooks.dispatcher.tick()
    await until('the fast receiver to get its event', async () => receiver.at('/fast').length === 1)
    t.equal((await deliveries(slow.id))[0].status, 'pending', 'the slow one is still waiting for its answer')
    release()
    await app.webhooks.dispatcher.idle()
    t.equal((await deliveries(slow.id))[0].status, 'succeeded')
    t.equal((await call('DELETE', `/v1/webhooks/${slow.id}`)).status, 204)
    t.equal((await call('GET', `/v1/webhooks/${slow.id}`)).status, 404)
  })

  await t.test('a rotated secret signs beside the new one for 24 h', async (t) => {
    const rotated = await call('POST', `/v1/webhooks/${a.id}/rotate-secret`)
    t.equal(rotated.status, 200)
    const next = rotated.body.secret as string
    t.not(next, a.secret)
    t.equal(Date.parse(rotated.body.previous_secret_until) - clock.now(), DAY)
    await call('POST', `/v1/webhooks/${a.id}/test`)
    await deliver()
    const both = receiver.at('/a').at(-1)!
    t.equal(String(both.headers['webhook-signature']).split(' ').length, 2, 'two signatures')
    t.ok(verifyAt(next, both, clock.now()), 'the new secret verifies')
    t.ok(verifyAt(a.secret, both, clock.now()), 'the old one still does')
    await clock.advance(DAY)
    await call('POST', `/v1/webhooks/${a.id}/test`)
    await deliver()
    const one = receiver.at('/a').at(-1)!
    t.equal(String(one.headers['webhook-signature']).split(' ').length, 1)
    t.ok(verifyAt(next, one, clock.now()))
    t.throws(() => verifyAt(a.secret, one, clock.now()), /No matching signature/, 'the old one no longer does')
    a.secret = next
  })

  await t.test('410 Gone disables at once; others hear of it', async (t) => {
    receiver.answers.set('/gone', { status: 410 })
    const gone = await create('/gone')
    await call('POST', `/v1/webhooks/${gone.id}/test`)
    await deliver()
    t.match((await call('GET', `/v1/webhooks/${gone.id}`)).body, { enabled: false, disabled_reason: 'gone' })
    t.match(await deliveries(gone.id), [{ status: 'failed', last_status: 410 }])
    await deliver()
    const notice = receiver.at('/a').map(payload).find((p) => p.type === 'webhook.disabled')
    t.match(notice, { data: { webhook_id: gone.id, reason: 'gone', last_status: 410 } })
    t.match(receiver.at('/fast'), { length: 1 }, 'a subscription without webhook.disabled in its events does not get it')
    t.ok(logs.some((l) => l.includes(`webhook ${gone.id} disabled: its receiver answered 410 Gone`)))
    // A test waits in a disabled subscription until it is enabled.
    receiver.answers.delete('/gone')
    await call('POST', `/v1/webhooks/${gone.id}/test`)
    await deliver()
    t.equal(receiver.at('/gone').length, 1)
    t.match((await call('PATCH', `/v1/webhooks/${gone.id}`, { enabled: true })).body, { enabled: true, disabled_reason: null })
    await app.webhooks.dispatcher.idle()
    await deliver()
    t.equal(receiver.at('/gone').length, 2, 'enabled again: the waiting test is sent')
  })

  await t.test('3 days of failures disable the subscription; a retry sends again', async (t) => {
    receiver.answers.set('/down', { status: 502 })
    const down = await create('/down', { events: ['webhook.test'] })
    await call('POST', `/v1/webhooks/${down.id}/test`)
    const start = clock.now()
    await deliver()
    const waits: number[] = []
    for (;;) {
      const [d] = await deliveries(down.id)
      if (d.status !== 'pending') break
      const wait = Date.parse(d.next_attempt_at!) - clock.now()
      waits.push(wait)
      await clock.advance(wait)
      await deliver()
    }
    t.same(waits.slice(0, 7), [5000, 300_000, 1_800_000, 2 * HOUR, 5 * HOUR, 10 * HOUR, 10 * HOUR], 'the documented schedule (jitter is centred in tests)')
    t.ok(clock.now() - start >= 3 * DAY && clock.now() - start < 3 * DAY + 10 * HOUR, 'given up after 3 days')
    t.match((await call('GET', `/v1/webhooks/${down.id}`)).body, { enabled: false, disabled_reason: 'failing' })
    t.ok(logs.some((l) => l.includes(`webhook ${down.id} disabled: its deliveries failed for 3 days`)))
    const [failed] = await deliveries(down.id, '?status=failed')
    t.equal(failed.attempts, waits.length + 1)
    receiver.answers.delete('/down')
    await call('PATCH', `/v1/webhooks/${down.id}`, { enabled: true })
    t.match(await call('POST', `/v1/webhooks/${down.id}/deliveries/${failed.id}/retry`), { status: 202, body: { id: failed.id, status: 'pending' } })
    await app.webhooks.dispatcher.idle()
    await deliver()
    t.match(await deliveries(down.id), [{ status: 'succeeded', last_status: 200 }])
  })

  await t.test('deliveries page; replay re-sends past events', async (t) => {
    const all = await deliveries(a.id, '?status=succeeded')
    const first = await call('GET', `/v1/webhooks/${a.id}/deliveries?limit=2`)
    t.equal(first.body.deliveries.length, 2)
    const second = await call('GET', `/v1/webhooks/${a.id}/deliveries?limit=500&before=${String(first.body.next_before)}`)
    t.equal(second.body.next_before, null)
    t.same([...first.body.deliveries, ...second.body.deliveries].map((d: Delivery) => d.id), all.map((d) => d.id))
    const replay = await call('POST', `/v1/webhooks/${a.id}/replay?since=${new Date(0).toISOString()}`)
    // Test events are never replayed; the two webhook.disabled events are.
    t.same(replay.body, { queued: 2 })
    await app.webhooks.dispatcher.idle()
    await deliver()
    t.same(receiver.at('/a').slice(-2).map((r) => payload(r).type), ['webhook.disabled', 'webhook.disabled'])
  })

  await t.test('metrics count deliveries and the backlog', async (t) => {
    receiver.answers.set('/a', { status: 500 })
    await call('POST', `/v1/webhooks/${a.id}/test`)
    await deliver()
    await clock.advance(60_000)
    const text = (await app.inject({ method: 'GET', url: '/metrics' })).body
    t.match(text, /depgate_webhook_deliveries_total\{result="succeeded"\} \d+/)
    t.match(text, /depgate_webhook_deliveries_total\{result="disabled"\} 2/)
    t.match(text, new RegExp(`depgate_webhook_queue_depth\\{webhook="${a.id}"\\} 1`))
    t.match(text, new RegExp(`depgate_webhook_oldest_pending_seconds\\{webhook="${a.id}"\\} 60`))
    receiver.answers.delete('/a')
  })
})
