/**
 * Org events end to end on the real app (SQLite, or PostgreSQL with DEPGATE_TEST_DATABASE=postgres)
 * against the simulator's AxM side, with a real receiver on 127.0.0.1 verifying every delivery
 * with `standardwebhooks`: a large first refresh is one org_device.added per device (each payload
 * one device, as the org device route shows it, with the org feed's seq); devices modified,
 * released and added at the simulator arrive as org_device.*; a failing refresh sends no device
 * event, one org.refresh_failed for a run of failures and org.refresh_recovered after; the `orgs`
 * filter takes or leaves org events, an org job's job.finished and replays.
 */
import t from 'tap'
import { defaultOrgClientFactory } from '../../src/orgs/registry.js'
import { ManualScheduler } from '../../src/scheduler.js'
import { httpCaller } from '../orgs/http-call.js'
import { buildTestApp, until } from '../helper.js'
import { startReceiver, verifyAt } from './receiver.js'

/** The simulated organisation: the DEP server's 20 devices and 1000 more: two pages of Apple's 1000. */
const TOTAL = 1020
const ORG_DEVICE_EVENTS = ['org_device.added', 'org_device.modified', 'org_device.removed']

interface Event { type: string, id: string, timestamp: string, data: Record<string, any> }

t.test('org events', async (t) => {
  const scheduler = new ManualScheduler()
  const receiver = await startReceiver()
  t.teardown(receiver.close)
  const ctx = await buildTestApp(t, {
    scheduler,
    simulator: { devices: 20, orgDevices: TOTAL - 20 },
    // settle() runs the app's timers one after another while a refresh waits on I/O, so on a loaded
    // machine the clock moves on by weeks over this file: past the 30 days of webhook retention, the
    // events the replay below counts would be purged. Retention is not what this file tests.
    env: { DEPGATE_ORG_REQUEST_BUDGET: '10000', DEPGATE_WEBHOOK_RETENTION_DAYS: '3650' },
    orgs: { refresh: false, clientFactory: (o) => defaultOrgClientFactory(o, { retryDeadlineMs: 200, retryDelayMs: 10 }) }
  })
  const { app } = ctx
  const url = await app.listen({ host: '127.0.0.1', port: 0 })
  const call = httpCaller(url, ctx.auth)
  const sim = httpCaller(ctx.sim!.url, () => ({}))
  const refresh = async (): Promise<void> => {
    await app.store.orgMirror.requestRefresh('acme')
    await app.orgs.refresher.tick()
    const run = app.orgs.refresher.current('acme')
    if (run !== undefined) await scheduler.settle(run)
  }
  const deliver = async (): Promise<void> => {
    await app.webhooks.dispatcher.tick()
    await app.webhooks.dispatcher.idle()
  }
  const subscribe = async (path: string, body: object): Promise<{ id: string, secret: string, orgs: string[] }> => {
    const res = await call('POST', '/v1/webhooks', { url: receiver.url(path), ...body })
    t.equal(res.status, 201, `subscribed ${path}`)
    return res.json
  }
  /** What `path` received, verified with its secret; `from` skips the deliveries already read. */
  const events = (path: string, secret: string, from = 0): Event[] =>
    receiver.at(path).slice(from).map((r) => verifyAt(secret, r, scheduler.now()) as Event)

  const account = (await sim('POST', '/_sim/axm/keys', {})).json
  t.equal((await call('PUT', '/v1/orgs/acme?verify=false', { client_id: account.clientId, key_id: account.keyId, private_key: account.privateKey, base_url: ctx.sim!.url, token_url: `${ctx.sim!.url}/auth/oauth2/token` })).status, 201)

  const devices = await subscribe('/devices', { events: ORG_DEVICE_EVENTS, orgs: ['acme'] })
  const status = await subscribe('/status', { events: ['org.refresh_failed', 'org.refresh_recovered'] })
  const other = await subscribe('/other', { events: ['*'], orgs: ['other'] })
  const jobs = await subscribe('/jobs', { events: ['job.finished'], servers: ['default'], orgs: ['acme'] })
  await subscribe('/other-jobs', { events: ['job.finished'], orgs: ['other'] })

  t.test('subscriptions: orgs defaults to all, is shown, changed and checked', async (t) => {
    t.same(status.orgs, ['*'])
    t.match((await call('GET', `/v1/webhooks/${devices.id}`)).json, { orgs: ['acme'], servers: ['*'] })
    t.match((await call('PATCH', `/v1/webhooks/${other.id}`, { orgs: ['other', 'more'] })).json, { orgs: ['other', 'more'] })
    t.match((await call('PATCH', `/v1/webhooks/${other.id}`, { description: 'no org of ours' })).json, { orgs: ['other', 'more'] }, 'kept when not patched')
    t.match(await call('PATCH', `/v1/webhooks/${other.id}`, { orgs: ['Not An Org'] }), { status: 400, json: { code: 'VALIDATION_FAILED', errors: [{ field: /orgs/ }] } })
    t.match(await call('POST', '/v1/webhooks', { url: receiver.url('/x'), orgs: [] }), { status: 400, json: { code: 'VALIDATION_FAILED' } })
  })

  t.test('a large first refresh: one org_device.added per device, in feed order, each the device as the route shows it', async (t) => {
    await refresh()
    t.match((await call('GET', '/v1/orgs/acme')).json, { mirror: { ready: true, device_count: TOTAL, last_seq: TOTAL } })
    await deliver()
    const added = events('/devices', devices.secret)
    t.equal(added.length, TOTAL, 'one event per device')
    t.ok(added.every((e) => e.type === 'org_device.added' && e.data.org === 'acme'))
    t.same(added.map((e) => e.data.seq), Array.from({ length: TOTAL }, (_, i) => i + 1), 'the org feed seq, in order')
    t.equal(new Set(added.map((e) => e.data.serial_number)).size, TOTAL, 'every device once')
    t.ok(added.every((e) => e.data.device.serial_number === e.data.serial_number), 'one device per event')
    const largest = Math.max(...receiver.at('/devices').map((r) => Buffer.byteLength(r.body)))
    t.ok(largest < 4096, `each payload under 4 KiB (largest ${largest} bytes)`)
    for (const e of [added[0], added[TOTAL - 1]]) {
      t.same(e.data.device, (await call('GET', `/v1/orgs/acme/devices/${e.data.serial_number as string}`)).json.device, 'the route\'s view of the device')
    }
    t.notOk(JSON.stringify(added).includes('PRIVATE KEY'), 'no secret')
    t.same(receiver.at('/other').filter((r) => JSON.parse(r.body).type.startsWith('org')), [], 'a subscription of another org hears nothing')
    t.same(receiver.at('/status'), [], 'no refresh failed')
  })

  t.test('modified, released and added at the simulator', async (t) => {
    const seen = receiver.at('/devices').length
    const serials = (await sim('GET', '/_sim/axm/devices')).json.devices as Array<{ serialNumber: string, mdmServer: string | null }>
    const depId = (await sim('GET', '/_sim/axm/servers')).json.depServerId as string
    const onDep = serials.find((d) => d.mdmServer === depId)!.serialNumber
    const unassigned = serials.find((d) => d.mdmServer === null)!.serialNumber
    t.equal((await sim('DELETE', `/_sim/devices/${onDep}`)).status, 200, 'gone from the DEP server: unassigned in the org')
    t.match(await sim('DELETE', `/_sim/axm/devices/${unassigned}`), { status: 200, json: { released: unassigned } })
    t.match(await sim('DELETE', '/_sim/axm/devices/NOSUCHSERIAL'), { status: 404 })
    const fresh = (await sim('POST', '/_sim/axm/devices', { count: 1 })).json.devices[0].serialNumber as string
    await refresh()
    await deliver()
    const told = events('/devices', devices.secret, seen)
    t.equal(told.length, 3)
    const of = (type: string): Event => told.find((e) => e.type === type)!
    t.match(of('org_device.modified').data, { serial_number: onDep, device: { status: 'UNASSIGNED', mdm_server: null, removed_at: null } })
    t.match(of('org_device.removed').data, { serial_number: unassigned, device: { removed_at: String } })
    t.match(of('org_device.added').data, { serial_number: fresh, device: { removed_at: null } })
    const feed = await app.store.orgMirror.changes('acme', TOTAL, 10)
    t.same(told.map((e) => [e.data.seq, e.data.serial_number, e.type]), feed.map((c) => [c.seq, c.serial_number, `org_device.${c.op}`]), 'the events are the org change feed')
  })

  t.test('a failing refresh sends no device event; one refresh_failed for a run of failures, refresh_recovered after', async (t) => {
    const seen = receiver.at('/devices').length
    const fresh = (await sim('POST', '/_sim/axm/devices', { count: 1 })).json.devices[0].serialNumber as string
    const released = ((await sim('GET', '/_sim/axm/devices')).json.devices as Array<{ serialNumber: string }>)[5].serialNumber
    await sim('DELETE', `/_sim/axm/devices/${released}`)
    t.equal((await sim('POST', '/_sim/faults', { endpoint: 'axm.org_devices', kind: 'status', status: 500, times: 0 })).status, 200)
    for (let i = 0; i < 2; i++) {
      await refresh()
      t.match((await call('GET', '/v1/orgs/acme')).json, { mirror: { last_error: { code: String } } }, `refresh ${i + 1} failed`)
    }
    await deliver()
    t.equal(receiver.at('/devices').length, seen, 'no device event from a failed refresh')
    const failed = events('/status', status.secret)
    t.equal(failed.length, 1, 'one event for two failed runs')
    t.match(failed[0], { type: 'org.refresh_failed', data: { org: 'acme', code: String, message: /./ } })

    await sim('DELETE', '/_sim/faults')
    await refresh()
    await deliver()
    t.match(events('/status', status.secret, 1), [{ type: 'org.refresh_recovered', data: { org: 'acme', failed_with: failed[0].data.code } }])
    const told = events('/devices', devices.secret, seen)
    t.same(told.map((e) => [e.type, e.data.serial_number]).sort(), [['org_device.added', fresh], ['org_device.removed', released]])
    t.same(receiver.at('/other').filter((r) => JSON.parse(r.body).type.startsWith('org')), [], 'the orgs filter leaves them out')
  })

  t.test('an org job\'s job.finished follows the orgs filter', async (t) => {
    await sim('PATCH', '/_sim/config', { axmActivityMs: 1000, axmConsistencyLagMs: 0 })
    const depId = (await sim('GET', '/_sim/axm/servers')).json.depServerId as string
    const serial = ((await sim('GET', '/_sim/axm/devices')).json.devices as Array<{ serialNumber: string, mdmServer: string | null }>).find((d) => d.mdmServer === null)!.serialNumber
    const res = await call('POST', '/v1/orgs/acme/device-assignments', { action: 'assign', mdm_server: depId, serials: [serial] })
    t.equal(res.status, 202)
    await until('the job to finish', async () => {
      await sim('POST', '/_sim/clock', { advanceMs: 1000 })
      await scheduler.advance(5000)
      return (await call('GET', `/v1/jobs/${res.json.id as string}`)).json.state === 'succeeded'
    })
    await deliver()
    t.match(events('/jobs', jobs.secret), [{ type: 'job.finished', data: { id: res.json.id, kind: 'org_device_assignment', server: null, org: 'acme', state: 'succeeded' } }], 'servers does not hold back a job with no server')
    t.same(receiver.at('/other-jobs'), [], 'a subscription of another org does not get it')
    t.same(receiver.at('/other').filter((r) => JSON.parse(r.body).type === 'job.finished'), [])

    const seen = receiver.at('/devices').length
    await refresh()
    await deliver()
    t.match(events('/devices', devices.secret, seen), [{ type: 'org_device.modified', data: { serial_number: serial, device: { mdm_server: depId, status: 'ASSIGNED' } } }])
  })

  t.test('a replay follows the orgs filter', async (t) => {
    const before = receiver.at('/other').length
    const replayed = await call('POST', `/v1/webhooks/${other.id}/replay?since=2000-01-01T00:00:00Z`)
    t.equal(replayed.status, 202)
    await deliver()
    t.equal(receiver.at('/other').length, before + (replayed.json.queued as number))
    t.same(receiver.at('/other').filter((r) => /^(org|job)/.test(JSON.parse(r.body).type)), [], 'nothing of org acme replayed to it')
    const all = await call('POST', `/v1/webhooks/${devices.id}/replay?since=2000-01-01T00:00:00Z`)
    t.equal(all.json.queued, TOTAL + 3 + 2 + 1, 'every org device event replays to the subscription of its org')
  })
})
