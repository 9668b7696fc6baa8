/** Throttling, timeouts, drops and broken bodies, scripted through the simulator's fault API. */
import t from 'tap'
import { DepResponseError, DepThrottledError, DepTransportError, DepUpstreamError } from '../../src/dep/index.js'
import { simClient, startSim } from './sim.js'

t.test('429 with Retry-After: 1 is waited out for real, then succeeds', async (t) => {
  const sim = await startSim(t)
  // The real timer (about one second) on purpose: this is the only test that sleeps.
  const { client, events } = simClient(t, sim, { retry: { sleep: undefined } })
  await client.getAccount()
  await sim.fault({ endpoint: 'account', kind: 'status', status: 429, retryAfter: 1 })
  t.match(await client.getAccount(), { server_name: String })
  t.same(events.filter((e) => e.type === 'retry'), [{ type: 'retry', endpoint: 'account', reason: 'HTTP_429', delayMs: 1000 }])
})

t.test('429s that outlast the retries become DepThrottledError with retryAfterSeconds', async (t) => {
  const sim = await startSim(t)
  const { client, delays } = simClient(t, sim, { retry: { retries: 2 } })
  await sim.fault({ endpoint: 'fetch_devices', kind: 'status', status: 429, retryAfter: 1, times: 0 })
  await t.rejects(client.fetchDevices(), { constructor: DepThrottledError, code: 'TOO_MANY_REQUESTS', status: 429, retryAfterSeconds: 1, endpoint: 'fetch_devices' })
  t.same(delays, [1000, 1000])
  t.equal((await sim.stats()).requests.fetch_devices, 3)
})

t.test('a Retry-After beyond maxRetryAfterMs fails fast', async (t) => {
  const sim = await startSim(t)
  const { client, delays } = simClient(t, sim, { retry: { maxRetryAfterMs: 10_000 } })
  await sim.fault({ endpoint: 'account', kind: 'status', status: 503, retryAfter: 120 })
  await t.rejects(client.getAccount(), { constructor: DepThrottledError, code: 'SERVICE_UNAVAILABLE', status: 503, retryAfterSeconds: 120 })
  t.same(delays, [])
})

t.test('5xx is retried with backoff, then DepUpstreamError', async (t) => {
  const sim = await startSim(t)
  const { client, delays } = simClient(t, sim, { retry: { retries: 2, baseDelayMs: 100, random: () => 0.5 } })
  await sim.fault({ endpoint: 'device_details', kind: 'status', status: 502, times: 2 })
  t.match(await client.getDeviceDetails(['X']), { X: { response_status: 'NOT_ACCESSIBLE' } })
  t.same(delays, [50, 100])
  await sim.fault({ endpoint: 'account', kind: 'status', status: 500, times: 0 })
  await t.rejects(client.getAccount(), { constructor: DepUpstreamError, code: 'INTERNAL_SERVER_ERROR', status: 500 })
})

t.test('latency beyond headersMs is a TIMEOUT', async (t) => {
  const sim = await startSim(t)
  // undici checks headersTimeout on a coarse (~0.5 s) tick: 100 ms fires within about a second,
  // far below the 3 s of latency, so the outcome does not depend on the machine's load.
  const { client, events } = simClient(t, sim, { timeouts: { headersMs: 100 }, retry: { retries: 0 } })
  await client.getAccount()
  await sim.fault({ endpoint: 'account', kind: 'latency', ms: 3000 })
  await t.rejects(client.getAccount(), { constructor: DepTransportError, code: 'TIMEOUT', status: 0, endpoint: 'account' })
  t.match(events.at(-1), { type: 'request', endpoint: 'account', status: 0 })
  t.match(await client.getAccount(), { server_name: String }, 'the next call is fine')
})

t.test('a dropped connection: reads retry, profile definition does not', async (t) => {
  const sim = await startSim(t)
  const { client } = simClient(t, sim)
  await sim.fault({ endpoint: 'account', kind: 'drop' })
  t.match(await client.getAccount(), { server_name: String })
  await sim.fault({ endpoint: 'define_profile', kind: 'drop' })
  await t.rejects(client.defineProfile({ profile_name: 'P', url: 'https://mdm.example.com/enroll' }), { constructor: DepTransportError, code: 'NETWORK_ERROR', endpoint: 'define_profile' })
  const stats = await sim.stats()
  t.equal(stats.requests.account, 2)
  t.equal(stats.requests.define_profile, 1)
})

t.test('a truncated body or an HTML page with 200 is INVALID_RESPONSE', async (t) => {
  const sim = await startSim(t)
  const { client } = simClient(t, sim)
  await sim.fault({ endpoint: 'fetch_devices', kind: 'truncate' })
  await t.rejects(client.fetchDevices(), { constructor: DepResponseError, code: 'INVALID_RESPONSE', status: 200 })
  await sim.fault({ endpoint: 'account', kind: 'content_type' })
  await t.rejects(client.getAccount(), { constructor: DepResponseError, code: 'INVALID_RESPONSE' })
  t.match(await client.getAccount(), { server_name: String }, 'faults are one-shot')
})

t.test('quoted error bodies (depsim style) are understood', async (t) => {
  const sim = await startSim(t, { quoteErrors: true })
  const { client } = simClient(t, sim)
  await t.rejects(client.syncDevices({ cursor: 'nope' }), { code: 'INVALID_CURSOR' })
  await t.rejects(client.getProfile('ABC'), { code: 'NOT_FOUND' })
})

t.test('events never carry secrets', async (t) => {
  const sim = await startSim(t, { rotateSessions: true })
  const { client, events } = simClient(t, sim)
  await client.getAccount()
  await sim.fault({ endpoint: 'account', kind: 'status', status: 503 })
  await client.getAccount()
  const text = JSON.stringify(events)
  t.notMatch(text, /CK_|CS_|AT_|AS_|auth_session|oauth/i)
  t.ok(events.some((e) => e.type === 'request' && e.endpoint === 'session'))
})

t.test('a throwing onEvent hook does not break calls', async (t) => {
  const sim = await startSim(t)
  const { client } = simClient(t, sim, { onEvent: () => { throw new Error('metrics down') } })
  t.match(await client.getAccount(), { server_name: String })
})
