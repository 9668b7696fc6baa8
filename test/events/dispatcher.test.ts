/**
 * The dispatcher and the outbox on each database, without the app: the lease (one replica
 * delivers), what a failed attempt records for each kind of failure (a refused URL, a connection
 * refused, a timeout, an error without a code, a Retry-After date), and that a database failure
 * while reading or recording is logged and retried at the next tick, never thrown.
 */
import { randomBytes } from 'node:crypto'
import { createServer } from 'node:net'
import t from 'tap'
import { parseRetryAfter, retryDelayMs } from '../../src/events/backoff.js'
import { Dispatcher, type DispatcherOptions } from '../../src/events/dispatcher.js'
import { createHttpSender, type Sender } from '../../src/events/send.js'
import { generateWebhookSecret, signature } from '../../src/events/signing.js'
import { hostAllowed, parseAllowList, webhookUrlProblem } from '../../src/events/url-policy.js'
import { ManualScheduler } from '../../src/scheduler.js'
import { createSecretBox } from '../../src/tokens/secret-box.js'
import { DIALECTS, openTestStore } from '../databases.js'
import { until } from '../helper.js'

t.test('url policy and backoff', async (t) => {
  const allow = parseAllowList(' Hooks.Example.com, *.corp.example ,,10.0.0.5,[::1]')
  t.same(allow, ['hooks.example.com', '*.corp.example', '10.0.0.5', '[::1]'])
  t.ok(hostAllowed('HOOKS.example.com', allow))
  t.ok(hostAllowed('a.b.corp.example', allow))
  t.notOk(hostAllowed('corp.example', allow), '*. matches sub-domains only')
  t.ok(hostAllowed('[::1]', allow))
  t.notOk(hostAllowed('evil.example.com', allow))
  t.ok(hostAllowed('anything', parseAllowList(undefined)), 'no list: every host')
  t.match(webhookUrlProblem('https://evil.example.com/x', allow), /not in DEPGATE_WEBHOOK_ALLOW/)
  t.equal(webhookUrlProblem('https://hooks.example.com/x', allow), undefined)
  t.equal(parseRetryAfter('Thu, 01 Jan 1970 00:01:40 GMT', 40_000), 60_000, 'an HTTP date')
  t.equal(parseRetryAfter('soon', 0), undefined)
  t.equal(parseRetryAfter(' ', 0), undefined)
  t.equal(retryDelayMs(30, 0.5, 99 * 3_600_000), 10 * 3_600_000, 'Retry-After is honoured up to 10 h')
  t.equal(retryDelayMs(1, 0), 4500, 'jitter: -10 %')
  t.equal(retryDelayMs(1, 0.5, undefined, [1000, 2000]), 1000, 'a schedule of its own (DEPGATE_WEBHOOK_RETRY_DELAYS)')
  t.equal(retryDelayMs(9, 0.5, undefined, [1000, 2000]), 2000, 'whose last delay repeats')
  t.equal(retryDelayMs(1, 0.5, 60_000, [1000]), 60_000, 'Retry-After still wins')
})

for (const dialect of DIALECTS) {
  t.test(`dispatcher on ${dialect}`, async (t) => {
    const clock = new ManualScheduler()
    const now = () => new Date(clock.now())
    const store = await openTestStore(t, dialect, { now, secretBox: createSecretBox(randomBytes(32)) })
    const warnings: string[] = []
    const log = { info () {}, warn (_obj: object, msg: string) { warnings.push(msg) } }
    const sent: string[] = []
    let answer: () => Promise<Awaited<ReturnType<Sender>>> = async () => ({ status: 200, retryAfter: undefined, snippet: '' })
    const options = (over: Partial<DispatcherOptions> = {}): DispatcherOptions => ({
      deliveries: store.webhookDeliveries,
      signingSecrets: async (id) => await store.webhooks.signingSecrets(id),
      send: async (url) => { sent.push(url); return await answer() },
      scheduler: clock,
      owner: 'one',
      allow: ['hooks.example.com'],
      log,
      ...over
    })
    const sub = await store.webhooks.create({ url: 'https://hooks.example.com/a', description: '', events: ['*'], servers: ['*'], enabled: true, secret: generateWebhookSecret() })
    const one = new Dispatcher(options())
    const other = new Dispatcher(options({ owner: 'two' }))
    // The head of the queue (the oldest pending delivery): the one each attempt retries.
    const lastError = async (): Promise<string | null> => (await store.webhookDeliveries.list(sub.id, { status: 'pending', limit: 100 })).at(-1)!.lastError
    const record = async () => { await store.webhooks.sendTest(sub.id) }

    await record()
    await one.tick()
    await one.idle()
    t.equal(sent.length, 1, 'the lease holder delivers')
    await record()
    await other.tick()
    await other.idle()
    t.equal(sent.length, 1, 'another replica does not while the lease is held')
    await one.stop()
    await one.tick()
    t.equal(sent.length, 1, 'a stopped dispatcher does nothing')
    await other.tick()
    await other.idle()
    t.equal(sent.length, 2, 'released at stop: the other replica takes over')

    await record()
    const attempt = async (): Promise<string | null> => {
      await clock.advance(11 * 3_600_000)
      await other.tick()
      await other.idle()
      return await lastError()
    }
    answer = async () => { throw Object.assign(new Error('connect ECONNREFUSED 127.0.0.1:9'), { code: 'ECONNREFUSED' }) }
    t.equal(await attempt(), 'ECONNREFUSED: connect ECONNREFUSED 127.0.0.1:9')
    answer = async () => { throw new DOMException('The operation was aborted due to timeout', 'TimeoutError') }
    t.equal(await attempt(), 'timed out')
    answer = async () => { throw new Error('boom') }
    t.equal(await attempt(), 'boom')
    answer = async () => ({ status: 500, retryAfter: undefined, snippet: '' })
    t.equal(await attempt(), 'HTTP 500')
    answer = async () => ({ status: 200, retryAfter: undefined, snippet: '' })
    await store.webhooks.update(sub.id, { url: 'https://elsewhere.example.org/a' })
    t.match(await attempt(), /host elsewhere\.example\.org is not in DEPGATE_WEBHOOK_ALLOW/, 'the allow-list is checked again at delivery')
    await store.webhooks.update(sub.id, { url: 'https://hooks.example.com/a' })
    await clock.advance(11 * 3_600_000)
    await other.tick()
    await other.idle()
    t.same(await store.webhookDeliveries.backlog(), [], 'all delivered once the URL is allowed again')

    // Stopping while a worker waits for an answer: the answer is recorded, the next is left for later.
    let release = (): void => {}
    answer = async () => { await new Promise<void>((resolve) => { release = resolve }); return { status: 200, retryAfter: undefined, snippet: '' } }
    await record()
    await record()
    const before = sent.length
    await other.tick()
    await until('the first request to be sent', async () => sent.length === before + 1)
    const stopped = other.stop()
    release()
    await stopped
    t.equal((await store.webhookDeliveries.backlog())[0].pending, 1, 'one delivered, one left for the next replica')
    answer = async () => ({ status: 200, retryAfter: undefined, snippet: '' })

    // The database failing under the dispatcher: logged, tried again at the next tick.
    const broken = new Dispatcher(options({
      owner: 'two',
      deliveries: { ...store.webhookDeliveries, queued: async () => { throw new Error('database down') } }
    }))
    await broken.tick()
    const headless = new Dispatcher(options({
      owner: 'two',
      deliveries: { ...store.webhookDeliveries, heads: async () => { throw new Error('database down') } }
    }))
    await record()
    await headless.tick()
    await headless.idle()
    t.same(warnings, [
      'webhooks: could not read the delivery queue; trying again at the next tick',
      'webhooks: a delivery could not be recorded; it is tried again at the next tick'
    ])
  })
}

t.test('the HTTP sender: the whole-request timeout, a refused connection', async (t) => {
  const silent = createServer(() => {})
  await new Promise<void>((resolve) => silent.listen(0, '127.0.0.1', resolve))
  t.teardown(() => { silent.close() })
  const port = (silent.address() as { port: number }).port
  const sender = createHttpSender({ requestTimeoutMs: 200 })
  t.teardown(sender.close)
  await t.rejects(sender.send(`http://127.0.0.1:${port}/`, {}, '{}'), { name: 'TimeoutError' }, 'a receiver that never answers: the whole-request timeout')
  const closed = createServer()
  await new Promise<void>((resolve) => closed.listen(0, '127.0.0.1', resolve))
  const closedPort = (closed.address() as { port: number }).port
  await new Promise<void>((resolve) => closed.close(() => { resolve() }))
  await t.rejects(sender.send(`http://127.0.0.1:${closedPort}/`, {}, '{}'), { code: 'ECONNREFUSED' })
})

t.test('the outbox records nothing nobody wants; secrets need the secret box', async (t) => {
  const store = await openTestStore(t, 'sqlite')
  const input = { url: 'https://hooks.example.com/a', description: '', events: ['*'], servers: ['*'], enabled: true, secret: generateWebhookSecret() }
  await t.rejects(store.webhooks.create(input), /the secret box is not configured/)
  t.equal(await store.webhooks.sendTest('aaaaaaaaaaaa'), undefined, 'no such subscription: nothing recorded')
})

t.test('a look that finds a worker finishing is not lost: the worker reads the queue again', async (t) => {
  const clock = new ManualScheduler()
  const store = await openTestStore(t, 'sqlite', { now: () => new Date(clock.now()), secretBox: createSecretBox(randomBytes(32)) })
  const sub = await store.webhooks.create({ url: 'https://hooks.example.com/a', description: '', events: ['*'], servers: ['*'], enabled: true, secret: generateWebhookSecret() })
  const sent: string[] = []
  // The worker's second read of the queue (after the first event went out) finds it empty, then
  // waits: meanwhile a second event is committed and a look runs.
  let reads = 0
  let release = (): void => {}
  const held = new Promise<void>((resolve) => { release = resolve })
  let reachedHold = (): void => {}
  const atHold = new Promise<void>((resolve) => { reachedHold = resolve })
  const deliveries = {
    ...store.webhookDeliveries,
    async heads (id: string, limit: number) {
      const batch = await store.webhookDeliveries.heads(id, limit)
      if (++reads === 2) {
        reachedHold()
        await held
      }
      return batch
    }
  }
  const d = new Dispatcher({
    deliveries,
    signingSecrets: async (id) => await store.webhooks.signingSecrets(id),
    send: async (url) => { sent.push(url); return { status: 200, retryAfter: undefined, snippet: '' } },
    scheduler: clock,
    owner: 'one',
    allow: [],
    log: { info () {}, warn () {} }
  })
  await store.webhooks.sendTest(sub.id)
  await d.tick()
  await atHold
  await store.webhooks.sendTest(sub.id)
  await d.tick()
  release()
  await d.idle()
  t.equal(sent.length, 2, 'both events delivered')
  await d.stop()
})

t.test('one worker run: the queue read in batches, the secrets read once and again after a rotation or the grace period, a batch dropped when its delivery is gone', async (t) => {
  const clock = new ManualScheduler()
  const store = await openTestStore(t, 'sqlite', { now: () => new Date(clock.now()), secretBox: createSecretBox(randomBytes(32)) })
  const first = generateWebhookSecret()
  const sub = await store.webhooks.create({ url: 'https://hooks.example.com/a', description: '', events: ['*'], servers: ['*'], enabled: true, secret: first })
  let secretReads = 0
  const sent: Array<{ headers: Record<string, string>, body: string }> = []
  let onSend = async (): Promise<void> => {}
  const d = new Dispatcher({
    deliveries: store.webhookDeliveries,
    signingSecrets: async (id) => { secretReads++; return await store.webhooks.signingSecrets(id) },
    send: async (_url, headers, body) => { sent.push({ headers, body }); await onSend(); return { status: 200, retryAfter: undefined, snippet: '' } },
    scheduler: clock,
    owner: 'one',
    allow: [],
    log: { info () {}, warn () {} },
    batchSize: 2
  })
  t.teardown(async () => { await d.stop() })
  const queue = async (n: number): Promise<void> => { for (let i = 0; i < n; i++) await store.webhooks.sendTest(sub.id) }
  const run = async (): Promise<void> => { await d.tick(); await d.idle() }
  const signedWith = (i: number, secret: string): boolean => {
    const h = sent[i].headers
    return h['webhook-signature'].split(' ').includes(signature(secret, h['webhook-id'], h['webhook-timestamp'], sent[i].body))
  }

  await queue(5)
  await run()
  t.equal(sent.length, 5, 'five deliveries in three batches of at most two, in one run')
  t.equal(secretReads, 1, 'the secrets read once for the run')
  t.same(await store.webhookDeliveries.backlog(), [])

  // A rotation while the first batch is out: that batch keeps the secrets it was read with, the
  // next one sees the new version and reads both. The grace period ends during the fourth
  // delivery: the fifth is signed with the new secret alone.
  sent.length = 0
  secretReads = 0
  let next = ''
  onSend = async () => {
    if (sent.length === 1) next = (await store.webhooks.rotateSecret(sub.id, generateWebhookSecret(), 60_000).then(async () => await store.webhooks.signingSecrets(sub.id)))[0]
    if (sent.length === 4) await clock.advance(60_000)
  }
  await queue(5)
  await run()
  t.same(sent.map((s) => s.headers['webhook-signature'].split(' ').length), [1, 1, 2, 2, 1], 'signatures per delivery')
  t.ok(signedWith(1, first) && !signedWith(1, next), 'the batch read before the rotation: the old secret')
  t.ok(signedWith(2, next) && signedWith(2, first), 'the next batch: both')
  t.ok(signedWith(4, next) && !signedWith(4, first), 'after the grace period: the new one alone')
  t.equal(secretReads, 3, 'read at the start, after the rotation, at the end of the grace period')

  // The subscription deleted while its first delivery is out: the success finds no pending
  // delivery, and the worker reads the queue again instead of sending the rest of its batch.
  sent.length = 0
  onSend = async () => { await store.webhooks.delete(sub.id) }
  await queue(3)
  await run()
  t.equal(sent.length, 1, 'the rest of the batch is not sent')
  t.equal(await store.webhookDeliveries.succeeded(1, { status: 200, error: null }), false, 'a success is written only to a pending delivery')
})
