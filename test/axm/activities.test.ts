/**
 * Device activities against the one simulated organisation (docs/apple-axm.md §5, §8): assigning
 * devices to the DEP server makes DEP's sync report them added, unassigning deleted; per-serial
 * outcomes come from the activity's CSV log; Apple's 400/409/404 answers.
 */
import t from 'tap'
import { DepClient } from '../../src/dep/index.js'
import { DEPSIM_CREDENTIALS } from '../../src/simulator/index.js'
import { startOrg } from './fixtures.js'

t.test('2,500 serials assigned to the DEP server show in DEP sync as added; unassigned, as deleted', async (t) => {
  const org = await startOrg(t, { devices: 0, orgDevices: 5000 })
  const client = org.client()
  const dep = new DepClient({ token: DEPSIM_CREDENTIALS, baseUrl: org.url })
  t.teardown(() => dep.close())
  let cursor = ''
  for await (const page of dep.drainFetch()) cursor = page.cursor
  const sync = async (): Promise<Array<{ op: string, serial: string }>> => {
    const out: Array<{ op: string, serial: string }> = []
    for await (const page of dep.drainSync({ cursor })) {
      for (const d of page.devices) out.push({ op: String(d.op_type), serial: d.serial_number })
      cursor = page.cursor
    }
    return out
  }

  // depgate finds its DEP server among the organisation's servers by name.
  const servers = await client.listMdmServers()
  const account = await dep.getAccount()
  const server = servers.find((s) => s.serverName === account.server_name)
  t.ok(server, 'the DEP server is one of the organisation\'s MDM servers')
  const depId = server?.id as string
  t.equal(server?.deviceCount, 0)

  const unassigned: string[] = []
  for await (const page of client.orgDevicePages()) for (const d of page.items) if (d.status === 'UNASSIGNED') unassigned.push(d.serialNumber)
  const serials = unassigned.slice(0, 2500)
  t.equal(serials.length, 2500)
  const batches = [serials.slice(0, 1000), serials.slice(1000, 2000), serials.slice(2000)]
  const activities = []
  for (const batch of batches) activities.push(await client.createDeviceActivity({ action: 'assign', mdmServerId: depId, serials: batch }))
  t.match(activities[0], { id: /^[0-9a-f-]{36}$/, status: 'IN_PROGRESS', subStatus: 'SUBMITTED', createdDateTime: String })
  t.notOk('downloadUrl' in activities[0])
  org.sim.clock.advance(6000)
  t.match(await client.getDeviceActivity(activities[0].id), { status: 'IN_PROGRESS', subStatus: /^(PRE_PROCESSING|PENDING|PROCESSING)$/ }, 'half-way through')
  org.sim.clock.advance(5000)
  for (const activity of activities) {
    const done = await client.getDeviceActivity(activity.id)
    t.match(done, { status: 'COMPLETED', subStatus: 'COMPLETED_WITH_SUCCESS', completedDateTime: String, downloadUrl: /\/_axm\/activity-logs\// })
    const log = await client.getActivityLog(done.downloadUrl as string)
    t.ok(log.every((row) => row.result === 'SUCCESS' && row.reason === undefined))
    t.equal(log.length, activity.id === activities[2].id ? 500 : 1000)
  }
  // Apple's assignments become visible only some seconds after completion (docs/apple-axm.md §5.3).
  t.same(await sync(), [], 'nothing yet inside the consistency lag')
  t.equal(await client.getAssignedServerId(serials[0]), null)
  org.sim.clock.advance(5000)
  const added = await sync()
  t.equal(added.length, 2500)
  t.ok(added.every((e) => e.op === 'added'))
  t.same(new Set(added.map((e) => e.serial)), new Set(serials))
  t.equal(await client.getAssignedServerId(serials[0]), depId)
  t.equal((await client.getOrgDevice(serials[0])).status, 'ASSIGNED')
  t.equal((await client.listMdmServerSerials(depId)).length, 2500)
  const fetched: string[] = []
  for await (const page of dep.drainFetch()) fetched.push(...page.devices.map((d) => d.serial_number))
  t.same(new Set(fetched), new Set(serials), 'DEP\'s device list and the organisation agree')

  for (const batch of batches) await client.createDeviceActivity({ action: 'unassign', mdmServerId: depId, serials: batch })
  org.sim.clock.advance(16_000)
  const deleted = await sync()
  t.equal(deleted.length, 2500)
  t.ok(deleted.every((e) => e.op === 'deleted'))
  t.equal(await client.getAssignedServerId(serials[0]), null)
  t.equal((await client.listMdmServers()).find((s) => s.id === depId)?.deviceCount, 0)
})

t.test('per-serial failures, FAILED activities, Apple\'s refusals and retention', async (t) => {
  const org = await startOrg(t, { devices: 3, orgDevices: 8 })
  const client = org.client()
  const { depServerId: depId, order } = org.sim.axm.org
  const [onDep, other] = [order[0], order[order.length - 1]]
  await org.call('PATCH', '/_sim/config', { axmActivityMs: 1000, axmConsistencyLagMs: 0 })

  const mixed = await client.createDeviceActivity({ action: 'unassign', mdmServerId: depId, serials: [onDep, other] })
  org.sim.clock.advance(1000)
  const done = await client.getDeviceActivity(mixed.id)
  t.match(done, { status: 'COMPLETED', subStatus: 'COMPLETED_WITH_FAILURE' })
  const log = await client.getActivityLog(done.downloadUrl as string)
  t.match(log, [{ serial: onDep, result: 'SUCCESS' }, { serial: other, result: 'FAILED', reason: /not assigned to this device management service, so/ }])
  t.notOk(org.sim.world.devices.has(onDep), 'the DEP server no longer holds it')

  await org.call('PATCH', '/_sim/config', { axmFailSerials: [other] })
  const failed = await client.createDeviceActivity({ action: 'assign', mdmServerId: depId, serials: [other] })
  org.sim.clock.advance(1000)
  const failedState = await client.getDeviceActivity(failed.id)
  t.match(failedState, { status: 'FAILED', subStatus: 'COMPLETED_WITH_ERROR' })
  t.notOk('downloadUrl' in failedState, 'a log link only when COMPLETED')

  // The presigned link expires about a minute after it was handed out.
  org.sim.clock.advance(61_000)
  await t.rejects(client.getActivityLog(done.downloadUrl as string), { code: 'FORBIDDEN', status: 403, endpoint: 'activity_log' })
  await t.rejects(client.getActivityLog(`${org.url}/_axm/activity-logs/${mixed.id}.csv`), { code: 'FORBIDDEN' })
  await t.rejects(client.getActivityLog(`${org.url}/_axm/activity-logs/nope.csv`), { code: 'FORBIDDEN' })
  org.sim.clock.advance(30 * 86_400_000)
  await t.rejects(client.getDeviceActivity(mixed.id), { code: 'NOT_FOUND', status: 404, errors: [{ detail: /orgDeviceActivities/ }] })

  await t.rejects(client.createDeviceActivity({ action: 'assign', mdmServerId: 'NOPE', serials: [other] }), { code: 'CONFLICT', status: 409, errors: [{ source: { pointer: '/data/relationships/mdmServer/data/id' } }] })
  await t.rejects(client.createDeviceActivity({ action: 'assign', mdmServerId: depId, serials: [other, 'NOPE'] }), { code: 'CONFLICT', errors: [{ source: { pointer: '/data/relationships/devices/data/1/id' } }] })
  await t.rejects(client.createDeviceActivity({ action: 'assign', mdmServerId: depId, serials: [] }), { code: 'TOO_MANY_SERIALS' })
  const many = org.client({ maxActivitySerials: 2 })
  await t.rejects(many.createDeviceActivity({ action: 'assign', mdmServerId: depId, serials: ['a', 'b', 'c'] }), { code: 'TOO_MANY_SERIALS', message: /from 1 to 2 serials, not 3/ })

  await client.verify()
  const token = [...org.sim.axm.auth.tokens.keys()].at(-1) as string
  const post = async (body: unknown): Promise<any> => (await org.call('POST', '/v1/orgDeviceActivities', body, { authorization: `Bearer ${token}` })).json
  const body = (over: Record<string, unknown>): unknown => ({ data: { type: 'orgDeviceActivities', attributes: { activityType: 'ASSIGN_DEVICES' }, relationships: { mdmServer: { data: { type: 'mdmServers', id: depId } }, devices: { data: [{ type: 'orgDevices', id: other }] } }, ...over } })
  t.match(await post(body({ type: 'nope' })), { errors: [{ status: '400', source: { pointer: '/data/type' } }] })
  t.match(await post(body({ attributes: { activityType: 'RELEASE_DEVICES' } })), { errors: [{ source: { pointer: '/data/attributes/activityType' } }] })
  t.match(await post(body({ relationships: { devices: { data: [{ id: other }] } } })), { errors: [{ source: { pointer: '/data/relationships/mdmServer' } }] })
  t.match(await post(body({ relationships: { mdmServer: { data: { id: depId } }, devices: { data: [] } } })), { errors: [{ source: { pointer: '/data/relationships/devices/data' } }] })
  t.match(await post('{"data":'), { errors: [{ status: '400', detail: /not the JSON/ }] })
})

t.test('the organisation follows the DEP side; AppleCare and unassigned linkage', async (t) => {
  const org = await startOrg(t, { devices: 2, orgDevices: 60 })
  const client = org.client()
  const depId = org.sim.axm.org.depServerId
  const [first] = org.sim.world.list()
  t.match((await org.call('GET', '/_sim/axm/servers')).json, { depServerId: depId, servers: { length: 3 } })

  await org.call('DELETE', `/_sim/devices/${first.serial_number}`)
  t.equal(await client.getAssignedServerId(first.serial_number), null, 'removed from DEP: unassigned in the organisation')
  const added = (await org.call('POST', '/_sim/devices', { count: 1 })).json.devices[0].serial_number as string
  t.equal(await client.getAssignedServerId(added), depId, 'added on DEP: a new organisation device on the DEP server')
  const listed = (await org.call('GET', '/_sim/axm/devices')).json.devices
  t.match(listed.find((d: any) => d.serialNumber === added), { mdmServer: depId })
  const more = (await org.call('POST', '/_sim/axm/devices', { count: 4 })).json.devices
  t.equal(more.length, 4)
  t.match((await org.call('POST', '/_sim/axm/devices', { count: -1 })).json, { error: /count/ })
  t.match((await org.call('POST', '/_sim/axm/devices')).json, { error: /count/ })
  // Moving a DEP device to another server removes it from DEP.
  await org.call('PATCH', '/_sim/config', { axmConsistencyLagMs: 0 })
  await client.createDeviceActivity({ action: 'assign', mdmServerId: '1F97349736CF4614A94F624E705841AD', serials: [added] })
  org.sim.clock.advance(11_000)
  t.equal(await client.getAssignedServerId(added), '1F97349736CF4614A94F624E705841AD')
  t.notOk(org.sim.world.devices.has(added))

  // A device the portal moves to the DEP server from elsewhere in the organisation.
  const loose = org.sim.axm.org.order.find((s) => org.sim.axm.org.records.get(s)?.server === null) as string
  await org.call('POST', '/_sim/devices', { devices: [{ serial_number: loose }] })
  t.equal(await client.getAssignedServerId(loose), depId)
  // A family DEP names no OS for, leaving and re-joining the DEP server; and an assign to where it already is.
  const odd = (await org.call('POST', '/_sim/devices', { devices: [{ device_family: 'Toaster' }] })).json.devices[0].serial_number as string
  await client.createDeviceActivity({ action: 'unassign', mdmServerId: depId, serials: [odd] })
  org.sim.clock.advance(11_000)
  await client.createDeviceActivity({ action: 'assign', mdmServerId: depId, serials: [odd, loose] })
  org.sim.clock.advance(11_000)
  t.match((await org.call('GET', `/_sim/devices/${odd}`)).json.device, { device_family: 'Toaster', os: 'iOS', profile_status: 'empty', device_assigned_by: 'Apple Business API' })
  t.equal(await client.getAssignedServerId(loose), depId)

  const kinds = new Map<string, number>()
  for (const serial of org.sim.axm.org.order) {
    const coverage = await client.getAppleCareCoverage(serial)
    const key = coverage.map((c) => c.paymentType).join('+') || 'none'
    kinds.set(key, (kinds.get(key) ?? 0) + 1)
  }
  t.ok(kinds.get('none'), 'some devices have no coverage')
  t.ok(kinds.get('NONE'), 'some only the Limited Warranty')
  t.ok(kinds.get('NONE+PAID_UP_FRONT'), 'some AppleCare+')
  t.ok(kinds.get('NONE+ABE_SUBSCRIPTION'), 'some AppleCare+ for Business')
  const serial = org.sim.axm.org.order.find((s) => org.sim.axm.org.records.get(s)?.server === null) as string
  await t.rejects(client.getAppleCareCoverage('NOPE'), { code: 'NOT_FOUND' })
  await t.rejects(client.getAssignedServerId('NOPE'), { code: 'NOT_FOUND' })
  await org.call('PATCH', '/_sim/config', { axmUnassignedLinkage: '404' })
  await t.rejects(client.getAssignedServerId(serial), { code: 'NOT_FOUND', status: 404 })
})
