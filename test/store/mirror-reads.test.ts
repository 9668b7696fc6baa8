/**
 * The mirror's read queries on both dialects, over rows written directly with Kysely (the fixture
 * below), so these tests depend only on the tables, not on the syncer. The snapshot tests at the
 * end commit syncs through the store's write API between (or during) a read's queries.
 */
import { randomBytes } from 'node:crypto'
import { once } from 'node:events'
import type { ServerResponse } from 'node:http'
import { Readable } from 'node:stream'
import { isDeepStrictEqual } from 'node:util'
import { Kysely, type LogEvent, sql } from 'kysely'
import t, { type Test } from 'tap'
import { firstBatchRead, jsonList, ndjsonList } from '../../src/api/mirror-stream.js'
import type { DeviceRecord, Store } from '../../src/store/index.js'
import { createDialect, type DialectOptions } from '../../src/store/dialect.js'
import { MAX_SNAPSHOTS, SnapshotLimitError } from '../../src/store/read-snapshots.js'
import type { SqliteSnapshotReader } from '../../src/store/sqlite-reader.js'
import { createMirrorReads, type MirrorReads, type MirrorDevice, NONE, SORT_KEYS, type SortKey, type SortOrder } from '../../src/store/mirror-reads.js'
import type { Database, MirrorDevicesTable } from '../../src/store/schema.js'
import { createTestDatabase, DIALECTS, openTestStore, type TestDatabase, type TestDialect, type TestStore } from '../databases.js'

const FAMILIES = [['Mac', 'OSX', 'MacBook Pro'], ['Mac', 'OSX', 'Mac mini'], ['iPad', 'iPadOS', 'iPad Air'], ['iPhone', 'iOS', 'iPhone 15'], [null, null, null]] as const
const STATUSES = ['empty', 'assigned', 'pushed', null] as const

type Row = MirrorDevicesTable

/** 60 devices: every fourth one removed, some fields missing, many equal sort values (ties broken by serial). */
function fixture (server: string): Row[] {
  return Array.from({ length: 60 }, (_, i) => {
    const [family, os, model] = FAMILIES[i % FAMILIES.length]
    const serial = `C02${String((i * 37) % 101).padStart(3, '0')}X${String.fromCharCode(65 + (i % 26))}YZ`
    // Every sixth description holds LIKE's wildcards, which a filter must take literally.
    const description = `Device "${i}" ✓${i % 6 === 0 ? ' 50%_off' : ''}`
    const color = i % 3 === 0 ? null : i % 3 === 1 ? 'Silver' : 'Space Gray'
    const assetTag = i % 2 === 0 ? null : `A${i}`
    const assignedBy = `admin${i % 3}@example.com`
    const record: Record<string, unknown> = { serial_number: serial, description, device_assigned_by: assignedBy }
    if (color !== null) record.color = color
    if (assetTag !== null) record.asset_tag = assetTag
    if (model !== null) Object.assign(record, { model, os, device_family: family })
    const status = STATUSES[i % STATUSES.length]
    if (status !== null) record.profile_status = status
    const uuid = i % 3 === 0 ? 'AAAA0000BBBB1111CCCC2222DDDD3333' : null
    if (uuid !== null) record.profile_uuid = uuid
    const assigned = i % 5 === 0 ? null : `2026-0${1 + (i % 9)}-01T00:00:00Z`
    if (assigned !== null) record.device_assigned_date = assigned
    return {
      server,
      serial_number: serial,
      model,
      os,
      device_family: family,
      profile_status: status,
      profile_uuid: uuid,
      device_assigned_date: assigned,
      asset_tag: assetTag,
      color,
      description,
      device_assigned_by: assignedBy,
      record: JSON.stringify(record),
      first_seen_at: `2026-02-${String(1 + (i % 7)).padStart(2, '0')}T00:00:00.000Z`,
      last_changed_at: `2026-03-${String(1 + (i % 11)).padStart(2, '0')}T00:00:00.000Z`,
      removed_at: i % 4 === 3 ? '2026-04-01T00:00:00.000Z' : null,
      op_date: null,
      generation: 1,
      seq: i + 1
    }
  })
}

interface Fixture { reads: MirrorReads, db: Kysely<Database>, rows: Row[], reader?: SqliteSnapshotReader, store: TestStore, database: TestDatabase, application: string }

const dialectOptions = (database: TestDatabase): DialectOptions => 'dataDir' in database ? { dataDir: database.dataDir } : { databaseUrl: database.databaseUrl }

async function setup (t: Test, dialect: TestDialect, log?: (event: LogEvent) => Promise<void>): Promise<Fixture> {
  const database = await createTestDatabase(t, dialect)
  // On PostgreSQL the store's connections carry their own application_name, so a test can find them in pg_stat_activity.
  const application = `depgate_reads_${randomBytes(4).toString('hex')}`
  const store = await openTestStore(t, dialect, { database: 'dataDir' in database ? database : { ...database, databaseUrl: withParameter(database.databaseUrl, 'application_name', application) } })
  const { dialect: d, reader } = createDialect(dialectOptions(database))
  const db = new Kysely<Database>({ dialect: d, ...(log === undefined ? {} : { log }) })
  t.teardown(async () => {
    reader?.close()
    await db.destroy()
  })
  const rows = fixture('default')
  await db.insertInto('inventory_devices').values(rows).execute()
  // Another server's devices, which no query of `default` may return.
  await db.insertInto('inventory_devices').values(fixture('other').slice(0, 5)).execute()
  await db.insertInto('inventory_state').values({ server: 'default', phase: 'sync', ready_at: '2026-03-01T00:00:00.000Z', last_success_at: '2026-04-02T00:00:00.000Z', last_seq: 7, device_count: 45, generation: 1, requested_full: 0 }).execute()
  await db.insertInto('inventory_state').values({ server: 'fetching', phase: 'fetch', generation: 1, last_seq: 0, device_count: 0, requested_full: 0 }).execute()
  const ops = ['added', 'added', 'modified', 'added', 'removed', 'modified', 'added'] as const
  await db.insertInto('inventory_changes').values(ops.map((op, i) => ({ server: 'default', seq: i + 1, serial_number: rows[i].serial_number, op, at: `2026-04-0${1 + i}T00:00:00.000Z`, record: rows[i].record }))).execute()
  await db.insertInto('inventory_changes').values({ server: 'other', seq: 1, serial_number: 'X', op: 'added', at: '2026-04-01T00:00:00.000Z', record: '{}' }).execute()
  return { reads: createMirrorReads(db), db, rows, reader, store, database, application }
}

function withParameter (url: string, name: string, value: string): string {
  const u = new URL(url)
  u.searchParams.set(name, value)
  return u.href
}

// Byte order, as SQLite and the C collation of the test database compare text.
const cmp = (a: string, b: string): number => a < b ? -1 : a > b ? 1 : 0
const sortValue = (r: Row, key: SortKey): string => r[key] ?? ''
function expectedOrder (rows: Row[], key: SortKey, order: SortOrder): string[] {
  const sign = order === 'asc' ? 1 : -1
  return [...rows].sort((a, b) => sign * (cmp(sortValue(a, key), sortValue(b, key)) || cmp(a.serial_number, b.serial_number))).map((r) => r.serial_number)
}

for (const dialect of DIALECTS) {
  t.test(`mirror reads on ${dialect}`, async (t) => {
    const { reads, rows, reader, db } = await setup(t, dialect)
    const present = rows.filter((r) => r.removed_at === null)
    const removed = rows.filter((r) => r.removed_at !== null)

    t.test('state', async (t) => {
      t.same(await reads.state('default'), { ready_at: '2026-03-01T00:00:00.000Z', last_success_at: '2026-04-02T00:00:00.000Z', last_seq: 7, device_count: 45 })
      t.same(await reads.state('fetching'), { ready_at: null, last_success_at: null, last_seq: 0, device_count: 0 })
      t.equal(await reads.state('nope'), undefined)
    })

    t.test('getDevice: the stored text, removed rows stamped, readiness with it', async (t) => {
      const one = await reads.getDevice('default', rows[0].serial_number)
      t.same(one, { ready_at: '2026-03-01T00:00:00.000Z', last_success_at: '2026-04-02T00:00:00.000Z', device: { serial_number: rows[0].serial_number, record: rows[0].record, removed_at: null, last_changed_at: rows[0].last_changed_at } })
      t.equal((await reads.getDevice('default', rows[3].serial_number))?.device?.removed_at, '2026-04-01T00:00:00.000Z')
      t.same(await reads.getDevice('default', 'ZZZZ99999999'), { ready_at: '2026-03-01T00:00:00.000Z', last_success_at: '2026-04-02T00:00:00.000Z' })
      t.same(await reads.getDevice('fetching', rows[0].serial_number), { ready_at: null, last_success_at: null })
      t.equal(await reads.getDevice('nope', rows[0].serial_number), undefined)
    })

    t.test('getDeviceNow: on SQLite the same answers from the snapshot reader, synchronously; absent on PostgreSQL', async (t) => {
      t.equal(reads.getDeviceNow, undefined, 'not without a reader')
      t.equal(reader === undefined, dialect === 'postgres')
      if (reader === undefined) return
      const now = createMirrorReads(db, reader)
      for (const [server, serial] of [['default', rows[0].serial_number], ['default', rows[3].serial_number], ['default', 'ZZZZ99999999'], ['fetching', rows[0].serial_number], ['nope', rows[0].serial_number]]) {
        const sync = now.getDeviceNow?.(server, serial)
        t.same(sync, await reads.getDevice(server, serial), `${server} ${serial}`)
        t.same(await now.getDevice(server, serial), sync, 'getDevice answers from the reader too')
      }
      // A write through the same database, awaited within one event-loop turn (the snapshot's
      // lifetime otherwise), is seen by the very next lookup.
      let turnEnded = false
      setImmediate(() => { turnEnded = true })
      t.equal(now.getDeviceNow?.('default', rows[0].serial_number)?.last_success_at, '2026-04-02T00:00:00.000Z')
      await db.updateTable('inventory_state').set({ last_success_at: '2026-05-01T00:00:00.000Z' }).where('server', '=', 'default').execute()
      t.notOk(turnEnded, 'still the same turn')
      t.equal(now.getDeviceNow?.('default', rows[0].serial_number)?.last_success_at, '2026-05-01T00:00:00.000Z')
      await db.updateTable('inventory_state').set({ last_success_at: '2026-04-02T00:00:00.000Z' }).where('server', '=', 'default').execute()
    })

    t.test('listDevices: every sort key and order, walked page by page', async (t) => {
      for (const key of SORT_KEYS) {
        for (const order of ['asc', 'desc'] as const) {
          const seen: string[] = []
          let after
          for (let pages = 0; pages < 20; pages++) {
            const page = await reads.listDevices('default', { sort: key, order, limit: 7, after })
            seen.push(...page.devices.map((d) => d.serial_number))
            after = page.next
            if (after === undefined) break
          }
          t.same(seen, expectedOrder(present, key, order), `${key} ${order}`)
        }
      }
      const exact = await reads.listDevices('default', { limit: present.length })
      t.equal(exact.devices.length, present.length)
      t.equal(exact.next, undefined, 'a page that ends exactly at the last row has no next')
      t.same(exact.devices[0], { serial_number: expectedOrder(present, 'serial_number', 'asc')[0], record: present.find((r) => r.serial_number === exact.devices[0].serial_number)?.record, removed_at: null })
    })

    t.test('listDevices: filters (lists, any case, AND) and removed devices', async (t) => {
      const list = async (opts: Parameters<MirrorReads['listDevices']>[1]) => (await reads.listDevices('default', opts)).devices.map((d) => d.serial_number).sort()
      const serials = (rs: Row[]) => rs.map((r) => r.serial_number).sort()
      t.same(await list({ limit: 1000, filters: { os: ['osx'], profile_status: ['EMPTY', 'pushed'] } }), serials(present.filter((r) => r.os === 'OSX' && ['empty', 'pushed'].includes(r.profile_status ?? ''))))
      t.same(await list({ limit: 1000, filters: { model: ['mac MINI'] } }), serials(present.filter((r) => r.model === 'Mac mini')))
      t.same(await list({ limit: 1000, filters: { serial_number: [rows[0].serial_number.toLowerCase(), rows[3].serial_number, 'NOPE1234'] } }), serials([rows[0]]))
      t.same(await list({ limit: 1000, filters: { profile_uuid: ['aaaa0000bbbb1111cccc2222dddd3333'], device_family: ['ipad', 'iphone'] } }), serials(present.filter((r) => r.profile_uuid !== null && ['iPad', 'iPhone'].includes(r.device_family ?? ''))))
      t.same(await list({ limit: 1000, filters: { os: [] } }), [], 'an empty list matches nothing')
      t.same(await list({ limit: 1000, removed: 'only' }), serials(removed))
      t.same(await list({ limit: 1000, removed: 'include' }), serials(rows))
      const page = await reads.listDevices('default', { limit: 1, removed: 'only' })
      t.equal(page.devices[0].removed_at, '2026-04-01T00:00:00.000Z')
    })

    t.test('listDevices and countDevices: prefix, substring, date range, the new equality filters', async (t) => {
      const serials = (rs: Row[]) => rs.map((r) => r.serial_number).sort()
      const cases: Array<[string, NonNullable<Parameters<MirrorReads['countDevices']>[1]['filters']>, (r: Row) => boolean]> = [
        ['serial prefixes, any case', { serial_prefix: ['c020', 'C0210'] }, (r) => r.serial_number.startsWith('C020') || r.serial_number.startsWith('C0210')],
        ['a prefix is not a pattern', { serial_prefix: ['C0_'] }, () => false],
        ['description substring, any case', { description: ['"1'] }, (r) => r.description?.includes('"1') === true],
        ['% and _ taken literally', { description: ['50%_OFF'] }, (r) => r.description?.includes('50%_off') === true],
        ['a wildcard alone matches only itself', { description: ['%'] }, (r) => r.description?.includes('%') === true],
        ['several descriptions: any', { description: ['"2"', '"3"'] }, (r) => /"[23]"/.test(r.description ?? '')],
        ['asset tag', { asset_tag: ['a1', 'A3'] }, (r) => ['A1', 'A3'].includes(r.asset_tag ?? '')],
        ['color', { color: ['space gray'] }, (r) => r.color === 'Space Gray'],
        ['assigned by', { device_assigned_by: ['ADMIN1@example.com'] }, (r) => r.device_assigned_by === 'admin1@example.com'],
        ['assigned on or after', { assigned_after: ['2026-05-01T00:00:00Z'] }, (r) => (r.device_assigned_date ?? '') >= '2026-05-01T00:00:00Z'],
        ['assigned before', { assigned_before: ['2026-03-01T00:00:00Z'] }, (r) => r.device_assigned_date !== null && r.device_assigned_date < '2026-03-01T00:00:00Z'],
        ['a range, with another filter', { assigned_after: ['2026-02-01T00:00:00Z'], assigned_before: ['2026-04-01T00:00:00Z'], os: ['OSX'] },
          (r) => r.device_assigned_date !== null && r.device_assigned_date >= '2026-02-01T00:00:00Z' && r.device_assigned_date < '2026-04-01T00:00:00Z' && r.os === 'OSX'],
        ['an empty list matches nothing', { color: [] }, () => false]
      ]
      for (const [name, filters, keep] of cases) {
        const want = serials(present.filter(keep))
        const page = await reads.listDevices('default', { limit: 1000, filters })
        t.same(page.devices.map((d) => d.serial_number).sort(), want, name)
        t.equal(await reads.countDevices('default', { filters }), want.length, `${name}: count`)
      }
      t.ok(present.filter((r) => r.description?.includes('%') === true).length > 0, 'the fixture has wildcard descriptions')
      t.equal(await reads.countDevices('default', { removed: 'include' }), rows.length)
      t.equal(await reads.countDevices('nope', {}), 0)
    })

    t.test('streamDevices: in batches, filtered, sorted', async (t) => {
      const batches: number[] = []
      const seen: string[] = []
      for await (const batch of reads.streamDevices('default', { batchSize: 10 })) {
        batches.push(batch.length)
        seen.push(...batch.map((d) => d.serial_number))
      }
      t.same(seen, expectedOrder(present, 'serial_number', 'asc'))
      t.same(batches, [10, 10, 10, 10, 5])
      const all: string[] = []
      for await (const batch of reads.streamDevices('default', { removed: 'include', filters: { os: ['OSX'] } })) all.push(...batch.map((d) => d.serial_number))
      t.same(all, expectedOrder(rows.filter((r) => r.os === 'OSX'), 'serial_number', 'asc'))
      const exact: number[] = []
      for await (const batch of reads.streamDevices('default', { batchSize: 15, removed: 'only' })) exact.push(batch.length)
      t.same(exact, [15], 'a last batch that is exactly full is not followed by an empty one')
      const sorted: string[] = []
      for await (const batch of reads.streamDevices('default', { batchSize: 8, sort: 'model', order: 'desc' })) sorted.push(...batch.map((d) => d.serial_number))
      t.same(sorted, expectedOrder(present, 'model', 'desc'), 'any sort key and order')
      let none = 0
      for await (const batch of reads.streamDevices('nope')) none += batch.length
      t.equal(none, 0)
    })

    t.test('summary', async (t) => {
      const count = (key: keyof Row) => {
        const out: Record<string, number> = {}
        for (const r of present) {
          const v = (r[key] as string | null) ?? NONE
          out[v] = (out[v] ?? 0) + 1
        }
        return out
      }
      t.same(await reads.summary('default'), {
        total: present.length,
        removed: removed.length,
        by_device_family: count('device_family'),
        by_model: count('model'),
        by_os: count('os'),
        by_profile_status: count('profile_status')
      })
      t.same(await reads.summary('nope'), { total: 0, removed: 0, by_device_family: {}, by_model: {}, by_os: {}, by_profile_status: {} })
    })

    t.test('changesSince', async (t) => {
      const all = await reads.changesSince('default', 0, 100)
      t.equal(all.last_seq, 7)
      t.same(all.changes.map((c) => [c.seq, c.op]), [[1, 'added'], [2, 'added'], [3, 'modified'], [4, 'added'], [5, 'removed'], [6, 'modified'], [7, 'added']])
      t.same(all.changes[0], { seq: 1, op: 'added', serial_number: rows[0].serial_number, at: '2026-04-01T00:00:00.000Z', record: rows[0].record })
      t.same((await reads.changesSince('default', 2, 3)).changes.map((c) => c.seq), [3, 4, 5])
      t.same(await reads.changesSince('default', 7, 10), { changes: [], last_seq: 7, feed_floor: 0, drop_floor: 0 })
      t.same(await reads.changesSince('nope', 0, 10), { changes: [], last_seq: 0, feed_floor: 0, drop_floor: 0 })
      t.same(await reads.changesSince('other', 0, 10), { changes: [{ seq: 1, op: 'added', serial_number: 'X', at: '2026-04-01T00:00:00.000Z', record: '{}' }], last_seq: 1, feed_floor: 0, drop_floor: 0 }, 'a feed without a state row still reports its head')
    })
  })
}

/** Syncs through the store's write API, as the syncer does: one fenced page per call. */
function syncer (store: Store, server = 'default'): (devices: DeviceRecord[]) => Promise<void> {
  let cursor: string | null = null
  let n = 0
  return async (devices) => {
    if (!await store.mirror.acquireLease(server, 'test-syncer', 60_000)) throw new Error('lease not taken')
    const next = `cursor-${++n}`
    await store.mirror.applyPage(server, 'test-syncer', { phase: 'sync', sentCursor: cursor, devices, cursor: next, moreToFollow: false })
    cursor = next
  }
}

const OP_DATE = '2026-05-01T00:00:00Z'
const modified = (r: Row, fields: Record<string, unknown>): DeviceRecord => {
  const record = { ...JSON.parse(r.record) as Record<string, unknown>, ...fields }
  for (const [key, value] of Object.entries(fields)) if (value === undefined) delete record[key]
  return { ...record, serial_number: r.serial_number, op_type: 'modified', op_date: OP_DATE }
}
const deleted = (r: Row): DeviceRecord => ({ serial_number: r.serial_number, op_type: 'deleted', op_date: OP_DATE })

async function serialsOf (batches: AsyncIterable<MirrorDevice[]>): Promise<string[]> {
  const out: string[] = []
  for await (const batch of batches) out.push(...batch.map((d) => d.serial_number))
  return out
}

for (const dialect of DIALECTS) {
  t.test(`mirror reads on ${dialect}: one snapshot per read while a sync commits`, async (t) => {
    // The summary's reads run on `db`: after its first statement, this runs a sync (on the store's own connection).
    let afterFirstQuery: (() => Promise<void>) | undefined
    const { db, rows, store, application } = await setup(t, dialect, async (event) => {
      const write = afterFirstQuery
      afterFirstQuery = undefined
      if (event.level === 'query' && write !== undefined) await write()
    })
    const present = rows.filter((r) => r.removed_at === null)
    const sync = syncer(store)

    /** Whether a stream's snapshot is still held: a pooled connection idle in its transaction, or (SQLite) a reader that keeps the WAL from being checkpointed whole. */
    async function snapshotHeld (): Promise<boolean> {
      if (dialect === 'postgres') {
        const { rows: [row] } = await sql<{ n: string }>`select count(*) as n from pg_stat_activity where application_name = ${application} and state like 'idle in transaction%'`.execute(db)
        return Number(row.n) > 0
      }
      const { rows: [row] } = await sql<{ log: number, checkpointed: number }>`pragma wal_checkpoint(passive)`.execute(db)
      return row.checkpointed < row.log
    }

    t.test('streamDevices: a sync between two pages neither skips nor repeats a device (every page in the first one\'s snapshot)', async (t) => {
      const order = expectedOrder(present, 'os', 'desc')
      const [first, , , ...rest] = order
      const last = rest[rest.length - 1]
      const beforeLast = rest[rest.length - 2]
      const bySerial = new Map(rows.map((r) => [r.serial_number, r]))
      const seen: string[] = []
      let pages = 0
      for await (const batch of store.mirror.streamDevices('default', { sort: 'os', order: 'desc', batchSize: 2 })) {
        seen.push(...batch.map((d) => d.serial_number))
        if (++pages !== 2) continue
        await sync([
          // A device already sent moves to the unread end of the order, an unread one to the sent start.
          modified(bySerial.get(first) as Row, { os: undefined }),
          modified(bySerial.get(last) as Row, { os: 'zzz' }),
          deleted(bySerial.get(beforeLast) as Row),
          { serial_number: 'ZZNEW0000001', model: 'Mac mini', op_type: 'added', op_date: OP_DATE }
        ])
        t.ok(await snapshotHeld(), 'the snapshot is held between pages')
      }
      t.ok(pages > 3, 'the sync ran between pages')
      t.equal(new Set(seen).size, seen.length, 'no device twice')
      t.same(seen, order, 'the fleet as it was at the first page, in its order')
      t.notOk(await snapshotHeld(), 'released at the end')
      const now = await serialsOf(store.mirror.streamDevices('default', { sort: 'os', order: 'desc', batchSize: 2 }))
      t.same([now[0], now.includes('ZZNEW0000001'), now.includes(beforeLast)], [last, true, false], 'the next stream sees the sync')
    })

    t.test('streamDevices: a stream ended early releases its snapshot', async (t) => {
      const opened = async () => {
        const batches = store.mirror.streamDevices('default', { batchSize: 2, sort: 'model' })
        t.equal((await batches.next()).value?.length, 2)
        // A commit after the snapshot: on SQLite only a held one keeps it from being checkpointed.
        await sync([modified(present[0], { description: randomBytes(4).toString('hex') })])
        t.ok(await snapshotHeld(), 'held while the stream is open')
        return batches
      }
      await (await opened()).return()
      t.notOk(await snapshotHeld(), 'return()')
      await t.rejects((await opened()).throw(new Error('consumer failed')), /consumer failed/)
      t.notOk(await snapshotHeld(), 'throw()')
      // The route reads the first batch, then hands a list generator to Readable.from: a client
      // gone meanwhile destroys the stream before its first read, so that generator never starts.
      const list = { tail: { synced_at: null, last_seq: 0 }, res: undefined as unknown as ServerResponse, problem: () => { throw new Error('no problem expected') } }
      const json = Readable.from(jsonList({ ...list, batches: await firstBatchRead(await opened()) }))
      json.destroy()
      await once(json, 'close')
      t.notOk(await snapshotHeld(), 'a JSON list destroyed before its first read')
      const ndjson = Readable.from(ndjsonList({ ...list, batches: await firstBatchRead(await opened()) }))
      ndjson.destroy(new Error('client gone'))
      await t.rejects(once(ndjson, 'close'), /client gone/)
      t.notOk(await snapshotHeld(), 'an NDJSON list destroyed (with an error) before its first read')
      const whole = await serialsOf(await firstBatchRead(store.mirror.streamDevices('default', { batchSize: 2, sort: 'model' })))
      t.equal(whole.length, present.length)
      t.notOk(await snapshotHeld(), 'a stream read to its end')
      const bySerial = store.mirror.streamDevices('default', { batchSize: 2 })
      await bySerial.next()
      await sync([modified(present[0], { description: randomBytes(4).toString('hex') })])
      t.notOk(await snapshotHeld(), 'in the serial\'s order (stable through a sync by itself) no snapshot is held')
      await bySerial.return()
    })

    t.test('streamDevices: the store closing ends the streams still open', async (t) => {
      const other = await openTestStore(t, dialect, { database: store.database })
      const batches = other.mirror.streamDevices('default', { batchSize: 2, sort: 'os' })
      await batches.next()
      await sync([modified(present[1], { description: randomBytes(4).toString('hex') })])
      t.ok(await snapshotHeld(), 'held (on PostgreSQL the pool\'s end would wait for it)')
      await other.close()
      t.notOk(await snapshotHeld(), 'released')
      await t.rejects(batches.next(), /the stream was ended: the store is closing/)
      t.same(await batches.next(), { done: true, value: undefined })
      await other.mirror.endStreams()
    })

    t.test('streamDevices: at most MAX_SNAPSHOTS sorted streams at once, and none opens once the store closes', async (t) => {
      const other = await openTestStore(t, dialect, { database: store.database })
      const sorted = () => other.mirror.streamDevices('default', { batchSize: 2, sort: 'os' })
      const streams = Array.from({ length: MAX_SNAPSHOTS }, sorted)
      for (const stream of streams) t.equal((await stream.next()).value?.length, 2)
      await t.rejects(sorted().next(), SnapshotLimitError, 'one more is refused (answered 503 MIRROR_BUSY)')
      t.equal((await serialsOf(other.mirror.streamDevices('default', { batchSize: 50 }))).length, present.length, 'the serial\'s order needs no snapshot, so no slot')
      await streams[0].return()
      t.equal((await sorted().next()).value?.length, 2, 'an ended stream frees its slot')
      await other.mirror.endStreams()
      t.notOk(await snapshotHeld(), 'every snapshot ended')

      // A stream whose snapshot is still opening when the store starts closing: ended as it opens.
      const fresh = await openTestStore(t, dialect, { database: store.database })
      const opening = fresh.mirror.streamDevices('default', { sort: 'model' }).next()
      const ending = fresh.mirror.endStreams()
      await t.rejects(opening, /the stream was ended: the store is closing/)
      await ending
      await t.rejects(fresh.mirror.streamDevices('default', { sort: 'model' }).next(), /the store is closing/, 'and none opens after')
      t.notOk(await snapshotHeld(), 'nothing left open')
    })

    t.test('summary: a sync that commits during the summary is all in or all out', async (t) => {
      const reads = createMirrorReads(db)
      const family = present.find((r) => r.device_family === 'iPad') as Row
      const changes: DeviceRecord[] = [
        modified(family, { device_family: 'Mac', os: 'OSX', model: 'Mac mini', profile_status: 'pushed' }),
        deleted(present.find((r) => r.device_family === 'iPhone') as Row),
        { serial_number: 'ZZNEW0000002', device_family: 'iPhone', os: 'iOS', model: 'iPhone 16', op_type: 'added', op_date: OP_DATE }
      ]
      const before = await reads.summary('default')
      let ran = false
      afterFirstQuery = async () => {
        await sync(changes)
        ran = true
      }
      const during = await reads.summary('default')
      t.ok(ran, 'the sync committed after the summary\'s first statement, before it returned')
      const after = await reads.summary('default')
      t.notSame(after, before, 'the sync changes the counts')
      const sums = (counts: Record<string, number>) => Object.values(counts).reduce((a, b) => a + b, 0)
      for (const key of ['by_device_family', 'by_model', 'by_os', 'by_profile_status'] as const) t.equal(sums(during[key]), during.total, `${key} adds up to the total`)
      t.ok(isDeepStrictEqual(during, before) || isDeepStrictEqual(during, after), 'the counts before the sync or after it, not a mix')
    })
  })
}
