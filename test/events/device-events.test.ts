/**
 * device.added, device.modified and device.removed come from the mirror's page transactions: a
 * device added, changed and removed at the simulator reaches a subscription of its server as one
 * event each, in order, signed, with the change feed's seq and the device; a subscription of
 * another server gets none of them. sync.failed and sync.recovered come from the sync state's
 * transactions, once per run of failures.
 */
import t from 'tap'
import { buildTestApp, until, untilReady } from '../helper.js'
import { startReceiver, verifyAt } from './receiver.js'

t.test('device changes become signed device.* events with the feed seq', async (t) => {
  const receiver = await startReceiver()
  t.teardown(receiver.close)
  const { app, auth, sim } = await buildTestApp(t, { simulator: { devices: 3 }, env: { DEPGATE_MIRROR: 'true', DEPGATE_SYNC_INTERVAL: '3600' } })
  await untilReady(app)
  const subscribe = async (path: string, servers: string[]) => {
    const res = await app.inject({ method: 'POST', url: '/v1/webhooks', headers: auth(), payload: { url: receiver.url(path), events: ['device.added', 'device.modified', 'device.removed'], servers } })
    return res.json<{ id: string, secret: string }>()
  }
  const ours = await subscribe('/ours', ['default'])
  await subscribe('/theirs', ['other'])
  const control = async (method: 'POST' | 'PATCH' | 'DELETE', url: string, payload?: object) => {
    const res = await sim!.app.inject({ method, url, ...(payload === undefined ? {} : { payload }) })
    t.ok(res.statusCode < 300, `${method} ${url}`)
  }
  const sync = async () => {
    const res = await app.inject({ method: 'POST', url: '/v1/servers/default/sync?wait=true', headers: auth() })
    t.equal(res.statusCode, 200)
  }
  await control('POST', '/_sim/devices', { devices: [{ serial_number: 'WEBHOOK00001' }] })
  await sync()
  await control('PATCH', '/_sim/devices/WEBHOOK00001', { asset_tag: 'desk 7' })
  await sync()
  await control('DELETE', '/_sim/devices/WEBHOOK00001')
  await sync()
  await until('three device events', async () => receiver.at('/ours').length >= 3)
  const events = receiver.at('/ours').map((r) => verifyAt(ours.secret, r, Date.now()) as { type: string, data: { server: string, seq: number, serial_number: string, device: Record<string, unknown> } })
  t.same(events.map((e) => e.type), ['device.added', 'device.modified', 'device.removed'])
  t.ok(events.every((e) => e.data.server === 'default' && e.data.serial_number === 'WEBHOOK00001'))
  t.ok(events[0].data.seq < events[1].data.seq && events[1].data.seq < events[2].data.seq, 'the feed seq, increasing')
  t.equal(events[1].data.device.asset_tag, 'desk 7', 'the device as Apple describes it')
  const feed = await app.inject({ method: 'GET', url: `/v1/servers/default/devices/changes?since=${events[0].data.seq - 1}`, headers: auth() })
  t.match(feed.body, /WEBHOOK00001/, 'the seq picks up the change feed')
  t.same(receiver.at('/theirs'), [], 'another server\'s subscription hears nothing')

  // sync.failed once for a run of failures, sync.recovered at the first success after them.
  const syncs = (await app.inject({ method: 'POST', url: '/v1/webhooks', headers: auth(), payload: { url: receiver.url('/sync'), events: ['sync.failed', 'sync.recovered'] } })).json<{ secret: string }>()
  await control('POST', '/_sim/faults', { endpoint: '*', kind: 'status', status: 500, times: 0 })
  for (let i = 0; i < 2; i++) {
    const failed = await app.inject({ method: 'POST', url: '/v1/servers/default/sync?wait=true', headers: auth() })
    t.equal(failed.statusCode, 502)
  }
  await control('DELETE', '/_sim/faults')
  await sync()
  await until('the sync events', async () => receiver.at('/sync').length >= 2)
  const told = receiver.at('/sync').map((r) => verifyAt(syncs.secret, r, Date.now()) as { type: string, data: Record<string, unknown> })
  t.match(told, [{ type: 'sync.failed', data: { server: 'default', code: 'UPSTREAM_ERROR', status: 502 } }, { type: 'sync.recovered', data: { server: 'default', failed_with: 'UPSTREAM_ERROR' } }])
  t.equal(told.length, 2, 'one failure event for two failed runs')
})
