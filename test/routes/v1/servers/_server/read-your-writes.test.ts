/**
 * Read your own writes: right after depgate assigns or removes a profile, or disowns, the mirror
 * shows what Apple answered SUCCESS for, with a change-feed entry, before any sync (syncs fail
 * throughout, so nothing but the own write can have done it); serials Apple refused are left
 * alone; and once Apple's own record comes back it wins. Apple is the simulator over real HTTP.
 */
import t from 'tap'
import type { Store } from '../../../../../src/store/index.js'
import { buildTestApp, untilReady } from '../../../../helper.js'

const S = '/v1/servers/default'
const PROFILE = { profile_name: 'Staff Macs', url: 'https://mdm.example.com/enroll', is_supervised: true }

t.test('assign, remove and disown show in the mirror at once; Apple wins afterwards', async (t) => {
  const m = await buildTestApp(t, { env: { DEPGATE_MIRROR: 'true', DEPGATE_ALLOW_DISOWN: 'true' }, simulator: { devices: 6 } })
  const sim = m.sim?.app
  if (sim === undefined) throw new Error('no simulator')
  await m.app.ready()
  await untilReady(m.app)
  const call = async (method: 'GET' | 'POST' | 'PUT' | 'DELETE', url: string, payload?: object) =>
    await m.app.inject({ method, url, headers: m.auth(), payload })
  const device = async (serial: string) => await call('GET', `${S}/devices/${serial}`)
  const lastSeq = async () => (await call('GET', S)).json().inventory.last_seq as number
  const [a, b, c, refused] = ((await sim.inject('/_sim/devices')).json().devices as Array<{ serial_number: string }>).map((d) => d.serial_number)

  // From here on every sync fails: only the own writes can change the mirror.
  await sim.inject({ method: 'POST', url: '/_sim/faults', payload: { endpoint: 'sync_devices', kind: 'status', status: 500, times: 0 } })
  await sim.inject({ method: 'PATCH', url: '/_sim/config', payload: { failSerials: [refused] } })
  const uuid = (await call('POST', `${S}/profiles`, PROFILE)).json().profile_uuid as string
  const before = await lastSeq()

  const assigned = await call('PUT', `${S}/profiles/${uuid}/devices`, { serials: [a, b, refused] })
  t.match(assigned.json().devices, { [a]: 'SUCCESS', [b]: 'SUCCESS', [refused]: 'FAILED' })
  t.match((await device(a)).json(), { serial_number: a, profile_uuid: uuid, profile_status: 'assigned', profile_assign_time: /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$/ })
  t.not((await device(refused)).json().profile_uuid, uuid, 'a serial Apple refused is left as it was')
  const feed = (await call('GET', `${S}/devices/changes?since=${before}`)).json()
  t.same(feed.changes.map((ch: { serial_number: string, op: string }) => [ch.serial_number, ch.op]).sort(), [[a, 'modified'], [b, 'modified']].sort())
  t.equal(await lastSeq(), before + 2)
  t.match((await call('GET', `${S}/devices?profile_status=assigned`)).json().devices.map((d: { serial_number: string }) => d.serial_number), [a, b].sort())

  const removed = await call('DELETE', `${S}/devices/profile`, { serials: [a] })
  t.match(removed.json().devices, { [a]: 'SUCCESS' })
  const afterRemove = (await device(a)).json()
  t.equal(afterRemove.profile_status, 'removed')
  t.notOk('profile_uuid' in afterRemove, 'the profile is gone from the device')

  const disowned = await call('POST', `${S}/devices/disown`, { serials: [c], confirm: 'DISOWN 1 DEVICE FROM default' })
  t.match(disowned.json().devices, { [c]: 'SUCCESS' })
  const gone = await device(c)
  t.equal(gone.statusCode, 404)
  t.match(gone.json(), { code: 'DEVICE_NOT_FOUND', detail: /left server "default"/ })
  t.equal(await lastSeq(), before + 4)

  // A profile defined with devices is an assignment too.
  const second = (await call('POST', `${S}/profiles`, { ...PROFILE, profile_name: 'Lab', devices: [a] })).json()
  t.equal((await device(a)).json().profile_uuid, second.profile_uuid)

  // Apple is the truth: once syncs work again, Apple's later record wins over what depgate wrote.
  await sim.inject({ method: 'DELETE', url: '/_sim/faults' })
  await sim.inject({ method: 'PATCH', url: `/_sim/devices/${b}`, payload: { profile_status: 'pushed', profile_push_time: '2026-12-01T10:00:00Z' } })
  t.equal((await call('POST', `${S}/sync?wait=true`)).statusCode, 200)
  t.match((await device(b)).json(), { profile_uuid: uuid, profile_status: 'pushed', profile_push_time: '2026-12-01T10:00:00Z' })
  t.match((await device(a)).json(), { profile_uuid: second.profile_uuid, profile_status: 'assigned' })
  t.equal((await device(c)).statusCode, 404)
})

t.test('with the mirror off, writes answer as before and touch no mirror', async (t) => {
  const m = await buildTestApp(t, { env: { DEPGATE_MIRROR: 'false' }, simulator: { devices: 2 } })
  const sim = m.sim?.app
  if (sim === undefined) throw new Error('no simulator')
  const [a] = ((await sim.inject('/_sim/devices')).json().devices as Array<{ serial_number: string }>).map((d) => d.serial_number)
  const res = await m.app.inject({ method: 'DELETE', url: `${S}/devices/profile`, headers: m.auth(), payload: { serials: [a] } })
  t.match(res.json().devices, { [a]: 'SUCCESS' })
  t.same(await m.store.mirror.listStates(), [])
})

t.test('a mirror that cannot take the own write: Apple\'s answer still comes back, the failure is logged', async (t) => {
  const failing = (store: Store): Store => ({ ...store, mirror: { ...store.mirror, applyOwnWrites: async () => { throw new Error('database gone') } } })
  const m = await buildTestApp(t, { env: { DEPGATE_MIRROR: 'true' }, simulator: { devices: 2 }, wrapStore: failing })
  const sim = m.sim?.app
  if (sim === undefined) throw new Error('no simulator')
  await m.app.ready()
  await untilReady(m.app)
  const [a] = ((await sim.inject('/_sim/devices')).json().devices as Array<{ serial_number: string }>).map((d) => d.serial_number)
  const res = await m.app.inject({ method: 'DELETE', url: `${S}/devices/profile`, headers: m.auth(), payload: { serials: [a] } })
  t.equal(res.statusCode, 200)
  t.match(res.json().devices, { [a]: 'SUCCESS' })
  t.ok(m.logs.some((l) => l.includes('could not show a remove at once')), 'logged')
})
