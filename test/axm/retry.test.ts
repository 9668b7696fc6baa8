/**
 * Waiting as Apple asks (docs/apple-axm.md §6): 429 and 503 retried after Retry-After within the
 * call's deadline, other failures after a doubling delay, a POST never sent twice. The client's
 * sleep advances the simulator's clock, so no test waits on a timer.
 */
import t from 'tap'
import type { AxmClientEvent, AxmClientOptions } from '../../src/axm/index.js'
import { until } from '../helper.js'
import { startOrg, type Org } from './fixtures.js'

/** A frozen base clock: only the client's sleeps move time, so every Retry-After is exact however slow the machine. */
const FROZEN = { clock: () => Date.UTC(2026, 0, 1) }

function clocked (org: Org, sleeps: number[], extra: Partial<AxmClientOptions> = {}): ReturnType<Org['client']> {
  return org.client({
    now: () => org.sim.now(),
    sleep: async (ms) => { sleeps.push(ms); org.sim.clock.advance(ms) },
    ...extra
  })
}

t.test('429 with Retry-After is respected and the walk completes', async (t) => {
  const org = await startOrg(t, { ...FROZEN, devices: 0, orgDevices: 1200, axmRateLimit: true, axmGetPerMinute: 5, axmPostPerHour: 1 })
  const sleeps: number[] = []
  const events: AxmClientEvent[] = []
  const client = clocked(org, sleeps, { pageLimit: 100, onEvent: (e) => events.push(e) })
  let devices = 0
  for await (const page of client.orgDevicePages()) devices += page.items.length
  t.equal(devices, 1200)
  t.same(sleeps, [60_000, 60_000], 'twice the rest of the minute Apple named')
  t.equal(events.filter((e) => e.type === 'request' && e.status === 429).length, 2)
  t.match(events.find((e) => e.type === 'retry'), { endpoint: 'org_devices', reason: 'HTTP_429', delayMs: 60_000 })

  // An hour's wait is beyond what a call waits out: THROTTLED at once, with Apple's Retry-After.
  const serial = org.sim.axm.org.order[0]
  await client.createDeviceActivity({ action: 'assign', mdmServerId: org.sim.axm.org.depServerId, serials: [serial] })
  const err = await client.createDeviceActivity({ action: 'assign', mdmServerId: org.sim.axm.org.depServerId, serials: [serial] }).catch((e: unknown) => e)
  t.match(err, { code: 'THROTTLED', status: 429, retryAfterSeconds: 3600, errors: [{ code: 'RATE_LIMIT_EXCEEDED', status: '429' }] })
  t.equal(sleeps.length, 2)
})

t.test('503 and 5xx are retried within the deadline; a POST is not', async (t) => {
  const org = await startOrg(t, FROZEN)
  const sleeps: number[] = []
  const client = clocked(org, sleeps, { retryDeadlineMs: 60_000 })
  const serial = org.sim.axm.org.order[0]
  const fault = async (body: Record<string, unknown>): Promise<void> => { await org.call('POST', '/_sim/faults', body) }

  await fault({ endpoint: 'axm.org_device', kind: 'status', status: 503, retryAfter: 7 })
  await fault({ endpoint: 'axm.org_device', kind: 'status', status: 500 })
  await fault({ endpoint: 'axm.org_device', kind: 'status', status: 502 })
  t.equal((await client.getOrgDevice(serial)).serialNumber, serial)
  t.same(sleeps, [7000, 2000, 4000], 'Retry-After, then doubling delays')

  sleeps.length = 0
  await fault({ endpoint: 'axm.org_device', kind: 'status', status: 503, retryAfter: 25, times: 0 })
  t.match(await client.getOrgDevice(serial).catch((e: unknown) => e), { code: 'UPSTREAM_ERROR', status: 503, retryAfterSeconds: 25 })
  t.same(sleeps, [25_000, 25_000], 'no wait past the deadline')
  await org.call('DELETE', '/_sim/faults')

  sleeps.length = 0
  await fault({ endpoint: 'axm.create_activity', kind: 'status', status: 503, retryAfter: 1 })
  await t.rejects(client.createDeviceActivity({ action: 'assign', mdmServerId: org.sim.axm.org.depServerId, serials: [serial] }), { code: 'UPSTREAM_ERROR', status: 503 })
  t.same(sleeps, [], 'a POST Apple may have acted on is not sent again')
  await fault({ endpoint: 'axm.create_activity', kind: 'drop' })
  await t.rejects(client.createDeviceActivity({ action: 'assign', mdmServerId: org.sim.axm.org.depServerId, serials: [serial] }), { code: 'NETWORK_ERROR', status: 0 })
  t.equal(org.sim.axm.org.activities.size, 0)

  await fault({ endpoint: 'axm.org_device', kind: 'drop' })
  t.equal((await client.getOrgDevice(serial)).serialNumber, serial, 'a dropped GET is sent again')
  await fault({ endpoint: 'axm.org_device', kind: 'status', status: 418 })
  await t.rejects(client.getOrgDevice(serial), { code: 'HTTP_ERROR', status: 418 })
  await fault({ endpoint: 'axm.org_device', kind: 'status', status: 403, code: 'NO_PERMISSION' })
  await t.rejects(client.getOrgDevice(serial), { code: 'FORBIDDEN', errors: [{ code: 'NO_PERMISSION' }], message: /403 \(NO_PERMISSION\)/ })
  await fault({ endpoint: 'axm.org_device', kind: 'latency', ms: 1 })
  t.equal((await client.getOrgDevice(serial)).serialNumber, serial)
  t.match((await org.call('POST', '/_sim/faults', { endpoint: 'axm.nope', kind: 'drop' })).json, { error: /axm\.<name>/ })
})

t.test('bodies that are not Apple\'s JSON, token failures, aborts and refused connections', async (t) => {
  const org = await startOrg(t, FROZEN)
  const sleeps: number[] = []
  const client = clocked(org, sleeps)
  const serial = org.sim.axm.org.order[0]
  const fault = async (body: Record<string, unknown>): Promise<void> => { await org.call('POST', '/_sim/faults', body) }

  await fault({ endpoint: 'axm.token', kind: 'status', status: 500, times: 0 })
  await t.rejects(client.verify(), { code: 'UPSTREAM_ERROR', endpoint: 'token', status: 500 })
  await org.call('DELETE', '/_sim/faults')
  await fault({ endpoint: 'axm.token', kind: 'content_type' })
  await t.rejects(client.verify(), { code: 'INVALID_RESPONSE', endpoint: 'token' })
  await fault({ endpoint: 'axm.token', kind: 'status', status: 400 })
  await t.rejects(client.verify(), { code: 'INVALID_CLIENT', message: /400 no error code/ })
  await client.verify()

  await fault({ endpoint: 'axm.org_device', kind: 'content_type' })
  await t.rejects(client.getOrgDevice(serial), { code: 'INVALID_RESPONSE', status: 200, endpoint: 'org_device' })
  await fault({ endpoint: 'axm.org_devices', kind: 'truncate' })
  await t.rejects(client.orgDevicePages().next(), { code: 'INVALID_RESPONSE' })
  await fault({ endpoint: 'axm.create_activity', kind: 'content_type' })
  await t.rejects(client.createDeviceActivity({ action: 'assign', mdmServerId: org.sim.axm.org.depServerId, serials: [serial] }), { code: 'INVALID_RESPONSE', status: 201 })

  const aborted = new AbortController()
  aborted.abort(new Error('caller gave up'))
  await t.rejects(client.getOrgDevice(serial, aborted.signal), { message: 'caller gave up' })
  const later = new AbortController()
  await fault({ endpoint: 'axm.org_device', kind: 'latency', ms: 300 })
  const pending = client.getOrgDevice(serial, later.signal)
  await until('the request to reach the simulator', async () => org.sim.axm.requests.org_device >= 1)
  later.abort(new Error('hung up'))
  await t.rejects(pending, { message: 'hung up' })

  // Nothing listens on the API host: a GET and a POST are both retried (nothing was sent) until the deadline.
  const refusedSleeps: number[] = []
  const refused = clocked(org, refusedSleeps, { baseUrl: 'http://127.0.0.1:1', retryDeadlineMs: 5000 })
  await t.rejects(refused.getOrgDevice(serial), { code: 'NETWORK_ERROR', message: /ECONNREFUSED/ })
  t.same(refusedSleeps, [1000, 2000], 'doubling delays until the next would pass the deadline')
  await t.rejects(refused.createDeviceActivity({ action: 'assign', mdmServerId: 'X', serials: [serial] }), { code: 'NETWORK_ERROR' })
})
