/** Draining fetch and sync cursors against the simulator, and every cursor error. */
import t from 'tap'
import { DepCursorError, type Device, type DevicePage } from '../../src/dep/index.js'
import { simClient, startSim } from './sim.js'

async function collect (pages: AsyncIterable<DevicePage>): Promise<{ pages: DevicePage[], devices: Device[], error?: unknown }> {
  const out: DevicePage[] = []
  try {
    for await (const page of pages) out.push(page)
  } catch (error) {
    return { pages: out, devices: out.flatMap((p) => p.devices), error }
  }
  return { pages: out, devices: out.flatMap((p) => p.devices) }
}

t.test('drains 10,200 devices in pages of 1000, then syncs the changes', async (t) => {
  const sim = await startSim(t, { devices: 10_200 })
  const { client } = simClient(t, sim)
  const fetched = await collect(client.drainFetch())
  t.equal(fetched.error, undefined)
  t.equal(fetched.pages.length, 11)
  t.equal(fetched.devices.length, 10_200)
  t.equal(new Set(fetched.devices.map((d) => d.serial_number)).size, 10_200)
  t.ok(fetched.devices.every((d) => d.op_type === undefined), 'fetched devices carry no op_type')
  const last = fetched.pages[10]
  t.equal(last.more_to_follow, false)
  t.equal((await sim.stats()).requests.fetch_devices, 11)

  await t.rejects(client.fetchDevices({ cursor: last.cursor }), { constructor: DepCursorError, code: 'EXHAUSTED_CURSOR', status: 400, endpoint: 'fetch_devices' })

  const { devices: added } = await sim.control<{ devices: Device[] }>('POST', '/_sim/devices', { count: 3 })
  await sim.control('PATCH', `/_sim/devices/${fetched.devices[0].serial_number}`, { asset_tag: 'A-1' })
  await sim.control('DELETE', `/_sim/devices/${fetched.devices[1].serial_number}`)
  const synced = await collect(client.drainSync({ cursor: last.cursor, limit: 2 }))
  t.equal(synced.error, undefined)
  t.equal(synced.pages.length, 3)
  t.same(synced.devices.map((d) => [d.serial_number, d.op_type]), [
    ...added.map((d) => [d.serial_number, 'added']),
    [fetched.devices[0].serial_number, 'modified'],
    [fetched.devices[1].serial_number, 'deleted']
  ])
  t.match(synced.devices[3], { asset_tag: 'A-1', op_date: String })
})

t.test('INVALID_CURSOR, and EXPIRED_CURSOR after 7 days (with a re-authentication on the way)', async (t) => {
  const sim = await startSim(t)
  // The client keeps the real clock: the simulator checks OAuth timestamps against the wall clock.
  const { client } = simClient(t, sim)
  await t.rejects(client.syncDevices({ cursor: 'not-a-cursor' }), { constructor: DepCursorError, code: 'INVALID_CURSOR', status: 400 })
  await t.rejects(client.fetchDevices({ cursor: 'not-a-cursor' }), { constructor: DepCursorError, code: 'INVALID_CURSOR' })
  const page = await client.fetchDevices({ limit: 1000 })
  t.equal(page.more_to_follow, false)
  await sim.control('POST', '/_sim/clock', { advanceMs: 8 * 24 * 3600_000 })
  const drain = collect(client.drainSync({ cursor: page.cursor }))
  const { pages, error } = await drain
  t.equal(pages.length, 0)
  t.match(error, { constructor: DepCursorError, code: 'EXPIRED_CURSOR', status: 400, endpoint: 'sync_devices' })
  t.equal((await sim.stats()).sessionsIssued, 2, 'the session expired with the clock too')
})

t.test('the same-cursor anomaly stops the drain after yielding what arrived', async (t) => {
  const sim = await startSim(t, { devices: 50 })
  const { client } = simClient(t, sim)
  const first = await client.fetchDevices({ limit: 10 })
  await sim.fault({ endpoint: 'fetch_devices', kind: 'same_cursor' })
  const { pages, error } = await collect(client.drainFetch({ cursor: first.cursor, limit: 10 }))
  t.equal(pages.length, 1, 'the anomalous page is still yielded')
  t.equal(pages[0].cursor, first.cursor)
  t.equal(pages[0].more_to_follow, true)
  t.match(error, { constructor: DepCursorError, code: 'SAME_CURSOR', endpoint: 'fetch_devices' })
  t.equal((await sim.stats()).requests.fetch_devices, 2, 'no tight loop')
})

t.test('the same-cursor anomaly on sync', async (t) => {
  const sim = await startSim(t, { devices: 5 })
  const { client } = simClient(t, sim)
  const page = await client.fetchDevices()
  await sim.fault({ endpoint: 'sync_devices', kind: 'same_cursor', times: 0 })
  const { pages, error } = await collect(client.drainSync({ cursor: page.cursor }))
  t.equal(pages.length, 1)
  t.match(error, { code: 'SAME_CURSOR', endpoint: 'sync_devices' })
})

t.test('maxPages caps a drain with PAGE_LIMIT; a drain that ends at the cap is fine', async (t) => {
  const sim = await startSim(t, { devices: 30 })
  const { client } = simClient(t, sim)
  const capped = await collect(client.drainFetch({ limit: 10, maxPages: 2 }))
  t.equal(capped.pages.length, 2)
  t.match(capped.error, { constructor: DepCursorError, code: 'PAGE_LIMIT', endpoint: 'fetch_devices' })
  const exact = await collect(client.drainFetch({ limit: 10, maxPages: 3 }))
  t.equal(exact.error, undefined)
  t.equal(exact.devices.length, 30)
})

t.test('drains use the page maximum /account advertises', async (t) => {
  const sim = await startSim(t, { devices: 2500, maxLimit: 5000 })
  const { client } = simClient(t, sim)
  t.equal((await collect(client.drainFetch())).pages.length, 3, 'before /account: 1000 a page')
  await client.getAccount()
  const { pages } = await collect(client.drainFetch())
  t.equal(pages.length, 1, 'after /account: 5000 a page')
  t.equal(pages[0].devices.length, 2500)
  const sync = await collect(client.drainSync({ cursor: pages[0].cursor }))
  t.same(sync.devices, [])
})
