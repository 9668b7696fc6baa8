/**
 * One device from the mirror, on both of the route's paths: the synchronous one (SQLite's snapshot
 * reader) and the awaited one (PostgreSQL's; on SQLite taken here by a store that hides
 * `getDeviceNow`, so the route awaits `getDevice`). Same answers either way: the stored record, a
 * device that left, a serial the mirror never saw, a sync's changes, and Apple while the mirror
 * is not ready. (That a write is seen within the same event-loop turn is tested at the store:
 * mirror-reads.test.ts; each injected request here runs in a later turn.)
 */
import t from 'tap'
import type { Store } from '../../../../../src/store/index.js'
import { buildTestApp, untilReady } from '../../../../helper.js'

const S = '/v1/servers/default'

/** The store as PostgreSQL offers it: no synchronous lookup, so the route awaits `getDevice`. */
const withoutSyncLookup = (store: Store): Store => ({ ...store, mirror: { ...store.mirror, getDeviceNow: undefined } })

for (const [path, wrapStore] of [['synchronous lookup', undefined], ['awaited lookup', withoutSyncLookup]] as const) {
  t.test(`one device from the mirror, ${path}`, async (t) => {
    const m = await buildTestApp(t, { env: { DEPGATE_MIRROR: 'true' }, simulator: { devices: 12 }, wrapStore })
    const sim = m.sim?.app
    if (sim === undefined) throw new Error('no simulator')
    const get = async (url: string) => await m.app.inject({ url, headers: m.auth() })
    t.equal(typeof m.store.mirror.getDeviceNow, wrapStore === undefined && m.store.dialect === 'sqlite' ? 'function' : 'undefined', 'the path this test means to take')
    await m.app.ready()
    await untilReady(m.app)
    const [kept, left] = (await sim.inject('/_sim/devices')).json().devices as Array<{ serial_number: string }>

    const one = await get(`${S}/devices/${kept.serial_number.toLowerCase()}`)
    t.equal(one.statusCode, 200)
    t.equal(one.headers['x-depgate-source'], 'mirror')
    t.match(one.headers['x-depgate-synced-at'], /^\d{4}-\d\d-\d\dT/)
    t.same(one.json(), { ...kept, source: 'mirror' }, 'the stored record, and where it came from')
    t.match((await get(`${S}/devices/ZZZZ99999999`)).json(), { code: 'DEVICE_NOT_FOUND', detail: /not in depgate's mirror of server "default"/ })

    // A sync's changes are seen by the next read.
    await sim.inject({ method: 'PATCH', url: `/_sim/devices/${kept.serial_number}`, payload: { asset_tag: 'A123456' } })
    await sim.inject({ method: 'DELETE', url: `/_sim/devices/${left.serial_number}` })
    t.equal((await m.app.inject({ method: 'POST', url: `${S}/sync?wait=true`, headers: m.auth() })).statusCode, 200)
    t.equal((await get(`${S}/devices/${kept.serial_number}`)).json().asset_tag, 'A123456')
    const gone = await get(`${S}/devices/${left.serial_number}`)
    t.equal(gone.statusCode, 404)
    t.match(gone.json(), { code: 'DEVICE_NOT_FOUND', detail: /left server "default" at / })

    const live = await get(`${S}/devices/${kept.serial_number}?source=apple`)
    t.equal(live.headers['x-depgate-source'], 'apple')
    t.match(live.json(), { serial_number: kept.serial_number, asset_tag: 'A123456', response_status: 'SUCCESS' })
    t.equal((await get(`${S}/devices/NOSUCHDEVICE1`)).statusCode, 404, 'unknown to the mirror')
    t.equal((await get('/v1/servers/nope/devices/C02XK1ABCDEF')).statusCode, 404, 'unknown server')
  })

  t.test(`before the first fetch completes, Apple answers, ${path}`, async (t) => {
    const m = await buildTestApp(t, { env: { DEPGATE_MIRROR: 'true' }, simulator: { devices: 3 }, wrapStore })
    const sim = m.sim?.app
    if (sim === undefined) throw new Error('no simulator')
    await sim.inject({ method: 'POST', url: '/_sim/faults', payload: { endpoint: 'fetch_devices', kind: 'status', status: 500, times: 0 } })
    await m.app.ready()
    const serial = (await sim.inject('/_sim/devices')).json().devices[0].serial_number as string
    const one = await m.app.inject({ url: `${S}/devices/${serial}`, headers: m.auth() })
    t.equal(one.statusCode, 200)
    t.equal(one.headers['x-depgate-source'], 'apple')
    const unknown = await m.app.inject({ url: `${S}/devices/NOSUCHDEVICE1`, headers: m.auth() })
    t.match(unknown.json(), { code: 'DEVICE_NOT_ACCESSIBLE' })
  })
}
