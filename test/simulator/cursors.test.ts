import t from 'tap'
import { createHash } from 'node:crypto'
import { decodeCursor, encodeCursor } from '../../src/simulator/cursors.js'
import { call, client, start, type Answer, type CallOptions } from './fixtures/helper.js'

type Api = (method: string, path: string, o?: CallOptions) => Promise<Answer>

async function drainFetch (api: Api, limit?: number): Promise<{ serials: string[], cursor: string, pages: number }> {
  const serials: string[] = []
  let cursor: string | undefined
  let pages = 0
  for (;;) {
    const res = await api('POST', '/server/devices', { body: { cursor, limit } })
    const page = res.json()
    pages++
    for (const d of page.devices) serials.push(d.serial_number)
    t.notOk(page.devices.some((d: Record<string, unknown>) => 'op_type' in d), 'fetch records have no op_type')
    cursor = page.cursor
    if (!page.more_to_follow) return { serials, cursor: cursor as string, pages }
  }
}

t.test('cursor encoding', async (t) => {
  const fetch = { kind: 'fetch' as const, pos: 3, end: 9, seq: 2, done: true, issued: 1_700_000_000_000 }
  t.same(decodeCursor(encodeCursor(fetch)), fetch)
  t.same(decodeCursor(encodeCursor({ kind: 'sync', seq: 7, issued: 5 })), { kind: 'sync', seq: 7, issued: 5 })
  t.match(encodeCursor(fetch), /^[A-Za-z0-9_-]+$/, 'base64url')
  for (const junk of [undefined, 42, '', 'x'.repeat(1001), 'garbage', Buffer.from('s:1:2:bad').toString('base64url')]) t.equal(decodeCursor(junk), undefined)
  // a well-formed checksum over text the simulator never writes
  const text = 'x:1'
  const forged = `${text}:${createHash('sha256').update(`depsim-cursor:${text}`).digest('base64url').slice(0, 8)}`
  t.equal(decodeCursor(Buffer.from(forged).toString('base64url')), undefined)
})

t.test('fetch pages through 2,500 devices, then sync takes over', async (t) => {
  let now = Date.UTC(2026, 0, 1)
  const s = await start(t, { devices: 2500, clock: () => now, sessionTtlMs: 30 * 24 * 3_600_000 })
  const { url, sim } = s
  const api = await client(s)
  const defaultPage = (await api('POST', '/server/devices')).json()
  t.equal(defaultPage.devices.length, 100, 'default limit 100, no body needed')
  t.equal(defaultPage.more_to_follow, true)
  t.match(defaultPage.fetched_until, /^2026-01-01T00:00:00Z$/)

  const { serials, cursor, pages } = await drainFetch(api, 1000)
  t.equal(pages, 3)
  t.equal(new Set(serials).size, 2500)
  t.same(serials, sim.world.list().map((d) => d.serial_number), 'chronological, the order of the truth')
  const dates = sim.world.list().map((d) => d.device_assigned_date as string)
  t.same(dates, [...dates].sort())

  t.same([(await api('POST', '/server/devices', { body: { cursor } })).status, (await api('POST', '/server/devices', { body: { cursor } })).text], [400, 'EXHAUSTED_CURSOR'])
  const sync = (await api('POST', '/devices/sync', { body: { cursor } })).json()
  t.same(sync.devices, [])
  t.equal(sync.more_to_follow, false)

  t.test('limits: clamp above the maximum, reject nonsense (configurable)', async (t) => {
    const big = (await api('POST', '/server/devices', { body: { limit: 5000 } })).json()
    t.equal(big.devices.length, 1000)
    for (const limit of [0, -1, 1.5, '10', true]) {
      const res = await api('POST', '/server/devices', { body: { limit } })
      t.same([res.status, res.text], [400, 'MALFORMED_REQUEST_BODY'], `limit ${String(limit)}`)
    }
    t.equal((await api('POST', '/devices/sync', { body: { cursor, limit: 0 } })).status, 400)
    sim.config.invalidLimit = 'default'
    t.equal((await api('POST', '/server/devices', { body: { limit: 0 } })).json().devices.length, 100)
    sim.config.invalidLimit = 'reject'
    t.equal((await api('POST', '/server/devices', { body: { limit: null, cursor: null } })).json().devices.length, 100)
  })

  t.test('bad cursors', async (t) => {
    const bad = async (path: string, body: unknown): Promise<[number, string]> => {
      const res = await api('POST', path, { body })
      return [res.status, res.text]
    }
    t.same(await bad('/server/devices', { cursor: 'garbage' }), [400, 'INVALID_CURSOR'])
    t.same(await bad('/devices/sync', { cursor: 'garbage' }), [400, 'INVALID_CURSOR'])
    t.same(await bad('/devices/sync', {}), [400, 'CURSOR_REQUIRED'])
    t.same(await bad('/devices/sync', { cursor: '' }), [400, 'CURSOR_REQUIRED'])
    t.same(await bad('/server/devices', { cursor: encodeCursor({ kind: 'fetch', pos: 0, end: 99_999, seq: 0, done: false, issued: now }) }), [400, 'INVALID_CURSOR'], 'beyond the world')
    t.same(await bad('/server/devices', { cursor: encodeCursor({ kind: 'fetch', pos: 9, end: 5, seq: 0, done: false, issued: now }) }), [400, 'INVALID_CURSOR'])
    t.same(await bad('/server/devices', { cursor: encodeCursor({ kind: 'fetch', pos: 0, end: 5, seq: 99, done: false, issued: now }) }), [400, 'INVALID_CURSOR'])
    t.same(await bad('/devices/sync', { cursor: encodeCursor({ kind: 'sync', seq: 99, issued: now }) }), [400, 'INVALID_CURSOR'])
    t.same(await bad('/server/devices', { cursor: sync.cursor }), [400, 'EXHAUSTED_CURSOR'], 'a sync cursor ends fetching')
    t.same(await bad('/server/devices', []), [400, 'MALFORMED_REQUEST_BODY'])
    t.same(await bad('/server/devices', 'text'), [400, 'MALFORMED_REQUEST_BODY'])
  })

  t.test('EXPIRED_CURSOR after 7 days, through the control clock', async (t) => {
    now += 7 * 24 * 3_600_000
    t.equal((await api('POST', '/devices/sync', { body: { cursor: sync.cursor } })).status, 200, 'exactly 7 days is fine')
    await call(url, 'POST', '/_sim/clock', { body: { advanceMs: 1 } })
    const res = await api('POST', '/devices/sync', { body: { cursor: sync.cursor } })
    t.same([res.status, res.text], [400, 'EXPIRED_CURSOR'])
  })
})

t.test('sync reports control-API changes, repeats serials, and starts where the fetch started', async (t) => {
  let now = Date.UTC(2026, 0, 1)
  const s = await start(t, { devices: 5, clock: () => now })
  const { url } = s
  const api = await client(s)
  const first = (await api('POST', '/server/devices', { body: { limit: 2 } })).json()
  // changes during the fetch
  const added = (await call(url, 'POST', '/_sim/devices', { body: { count: 2, devices: [{ serial_number: 'C02TESTTEST1', model: 'MacBook Pro' }] } })).json().devices
  t.equal(added.length, 3)
  t.equal(added[2].serial_number, 'C02TESTTEST1')
  t.equal(added[2].device_assigned_date, '2026-01-01T00:00:00Z')
  const truth = (await call(url, 'GET', '/_sim/devices')).json().devices
  const victim = truth[4].serial_number
  now += 1000
  t.equal((await call(url, 'PATCH', `/_sim/devices/${added[0].serial_number}`, { body: { asset_tag: 'TAG1', color: null } })).json().device.asset_tag, 'TAG1')
  now += 1000
  await call(url, 'PATCH', `/_sim/devices/${added[0].serial_number}`, { body: { asset_tag: 'TAG2', serial_number: 'ignored' } })
  t.same((await call(url, 'DELETE', `/_sim/devices/${victim}`)).json(), { deleted: victim })
  await call(url, 'DELETE', `/_sim/devices/${added[1].serial_number}`, { body: { released_by_replacement: true } })

  let cursor = first.cursor
  const seen: string[] = []
  for (;;) {
    const page = (await api('POST', '/server/devices', { body: { cursor, limit: 2 } })).json()
    seen.push(...page.devices.map((d: { serial_number: string }) => d.serial_number))
    cursor = page.cursor
    if (!page.more_to_follow) break
  }
  t.equal(first.devices.length + seen.length, 4, 'the fetch covers the devices present at its start, minus the one deleted since')
  t.notOk(seen.includes(victim))

  const events = (await api('POST', '/devices/sync', { body: { cursor, limit: 1000 } })).json().devices
  t.same(events.map((e: { op_type: string }) => e.op_type), ['added', 'added', 'added', 'modified', 'modified', 'deleted', 'deleted'])
  t.equal(events[0].op_date, events[0].device_assigned_date, 'added: op_date = device_assigned_date')
  t.same(events.slice(3, 5).map((e: { asset_tag: string }) => e.asset_tag), ['TAG1', 'TAG2'], 'the same serial twice, each as it was')
  t.equal(events[3].serial_number, events[4].serial_number)
  t.ok(events[4].op_date > events[3].op_date)
  t.notOk('color' in events[3], 'null removed the field')
  t.equal(events[5].serial_number, victim)
  t.equal(events[6].released_by_replacement, true)
  t.notOk('released_by_replacement' in events[5])
  const v9 = (await api('POST', '/devices/sync', { body: { cursor, limit: 1000 }, version: 9 })).json().devices
  t.notOk('released_by_replacement' in v9[6], 'released_by_replacement is v10')

  const paged = (await api('POST', '/devices/sync', { body: { cursor, limit: 3 } })).json()
  t.equal(paged.devices.length, 3)
  t.equal(paged.more_to_follow, true)
  const rest = (await api('POST', '/devices/sync', { body: { cursor: paged.cursor } })).json()
  t.equal(rest.devices.length, 4)
  t.equal(rest.more_to_follow, false)
  t.same((await api('POST', '/devices/sync', { body: { cursor: rest.cursor } })).json().devices, [])

  t.test('control API errors', async (t) => {
    t.equal((await call(url, 'PATCH', '/_sim/devices/NOPE', { body: {} })).status, 404)
    t.equal((await call(url, 'PATCH', `/_sim/devices/${added[0].serial_number}`, { body: [] })).status, 400)
    t.equal((await call(url, 'DELETE', '/_sim/devices/NOPE')).status, 404)
    t.equal((await call(url, 'GET', '/_sim/devices/NOPE')).status, 404)
    t.equal((await call(url, 'GET', `/_sim/devices/${added[0].serial_number}`)).json().device.asset_tag, 'TAG2')
    t.equal((await call(url, 'POST', '/_sim/devices', { body: { count: -1 } })).status, 400)
    t.equal((await call(url, 'POST', '/_sim/devices', { body: { count: 1.5 } })).status, 400)
    t.equal((await call(url, 'POST', '/_sim/devices', { body: [] })).status, 400)
    t.equal((await call(url, 'POST', '/_sim/devices', { body: { devices: [1] } })).status, 400)
    t.equal((await call(url, 'POST', '/_sim/devices', { body: { devices: [{ serial_number: '' }] } })).status, 400)
    t.equal((await call(url, 'POST', '/_sim/devices', { body: { devices: {} } })).status, 400)
    t.equal((await call(url, 'POST', '/_sim/devices', { body: { devices: [{ serial_number: 'C02TESTTEST1' }] } })).status, 409)
    t.equal((await call(url, 'POST', '/_sim/devices', { body: { devices: [{ serial_number: 'X1' }, { serial_number: 'X1' }] } })).status, 409)
    t.equal((await call(url, 'POST', '/_sim/devices', { raw: '{oops' })).status, 400, 'bad JSON is a JSON error here')
    t.same((await call(url, 'POST', '/_sim/devices')).json(), { devices: [] })
    t.match((await call(url, 'POST', '/_sim/devices', { body: { devices: [{ model: 'Mac mini' }] } })).json().devices, [{ model: 'Mac mini', serial_number: String }], 'a serial is generated when not given')
  })
})
