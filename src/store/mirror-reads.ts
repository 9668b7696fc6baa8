/**
 * Read queries of the device mirror. Written once in portable Kysely for SQLite and
 * PostgreSQL. The hot paths never parse a device: Apple's record is stored as JSON text and handed
 * to the routes as text, so a device goes from the database to the socket without a
 * JSON.parse/JSON.stringify round trip.
 *
 * Ordering and keyset pagination: a sort column may be null, so every sort compares
 * `coalesce(column, '')` and breaks ties with the serial (unique per server), which gives a total
 * order both dialects agree on (the test database uses the C collation, SQLite compares bytes).
 *
 * Consistency: a read that takes several queries must see one state of the mirror, or a sync
 * committing between two of them shows through. The summary is one statement; a stream in an
 * order other than the serial's reads all its pages in one snapshot (read-snapshots.ts).
 */
import { type AliasableExpression, type CompiledQuery, type ExpressionBuilder, type Expression, type Kysely, type SqlBool, sql } from 'kysely'
import { createReadSnapshots, type Run } from './read-snapshots.js'
import type { Database } from './schema.js'
import type { SqliteSnapshotReader } from './sqlite-reader.js'
import { type DeviceSelection, selectionWhere } from './device-selection.js'

export { FILTER_COLUMNS, type DeviceFilters, type DeviceSelection, type FilterColumn, type RemovedFilter } from './device-selection.js'

export const SORT_KEYS = ['serial_number', 'model', 'os', 'device_family', 'profile_status', 'device_assigned_date', 'last_changed_at', 'first_seen_at'] as const
export type SortKey = typeof SORT_KEYS[number]
export type SortOrder = 'asc' | 'desc'

/** Where a page ended: the last row's sort value (nulls as '') and serial. */
export interface PagePosition { value: string, serial: string }

export interface ListOptions extends DeviceSelection {
  sort?: SortKey
  order?: SortOrder
  /** 1..1000 */
  limit: number
  after?: PagePosition
}

export interface StreamOptions extends DeviceSelection {
  sort?: SortKey
  order?: SortOrder
  /** Rows per query (default STREAM_BATCH). */
  batchSize?: number
}

export interface MirrorDevice {
  serial_number: string
  /** Apple's device as JSON text, exactly as stored. */
  record: string
  removed_at: string | null
}

export interface DevicePage {
  devices: MirrorDevice[]
  /** Present when more rows follow: pass it back as `after`. */
  next?: PagePosition
}

/** The mirror's state of one server, as the read routes need it. */
export interface MirrorState {
  ready_at: string | null
  last_success_at: string | null
  last_seq: number
  device_count: number
}

/** One device by serial, with the state that says whether the mirror may answer, read in one query. */
export interface DeviceLookup {
  ready_at: string | null
  last_success_at: string | null
  /** Undefined when the mirror never saw the serial. */
  device?: MirrorDevice & { last_changed_at: string }
}

export interface Summary {
  total: number
  removed: number
  by_device_family: Record<string, number>
  by_model: Record<string, number>
  by_os: Record<string, number>
  by_profile_status: Record<string, number>
}

export interface MirrorChange {
  seq: number
  op: 'added' | 'modified' | 'removed'
  serial_number: string
  at: string
  record: string
}

export interface ChangesPage {
  changes: MirrorChange[]
  /** The feed's newest sequence number (0 for a server the mirror does not know yet). */
  last_seq: number
  /** The floors (schema.ts), read after the changes: a `since` below feed_floor may have missed some. */
  feed_floor: number
  drop_floor: number
}

export interface MirrorReads {
  state (server: string): Promise<MirrorState | undefined>
  /** One query on two primary keys: the server's state joined with the device. Undefined when the server has no mirror state. */
  getDevice (server: string, serial: string): Promise<DeviceLookup | undefined>
  /**
   * SQLite only: the same lookup answered synchronously from the snapshot reader (sqlite-reader.ts),
   * for the by-serial route's hot path; absent on PostgreSQL, where a lookup is a round trip.
   */
  readonly getDeviceNow?: (server: string, serial: string) => DeviceLookup | undefined
  listDevices (server: string, opts: ListOptions): Promise<DevicePage>
  /** How many devices the selection holds (a page's `total`). */
  countDevices (server: string, selection: DeviceSelection): Promise<number>
  /**
   * Every selected device in the list's order, `batchSize` rows a query (keyset pages), so the
   * fleet is never held at once. Sorted by anything but the serial, all pages are read in one
   * snapshot, held from the first page until the generator finishes or is ended with
   * return()/throw(): end it.
   */
  streamDevices (server: string, opts?: StreamOptions): AsyncGenerator<MirrorDevice[], void, undefined>
  /** Counts read in one statement, so they always add up. */
  summary (server: string): Promise<Summary>
  changesSince (server: string, since: number, limit: number): Promise<ChangesPage>
  /** Ends the snapshot of every stream still open (their next page fails): the store calls it when it closes. */
  endStreams (): Promise<void>
}

/** The label the summary uses for a device without the field. */
export const NONE = '(none)'
export const STREAM_BATCH = 1000

type Eb = ExpressionBuilder<Database, 'inventory_devices'>

function sortExpression (eb: Eb, key: SortKey): AliasableExpression<string> {
  // serial_number is never null: compared bare, the primary key's index serves the default order.
  if (key === 'serial_number') return eb.ref('serial_number')
  return eb.fn.coalesce(eb.ref(key), sql.lit(''))
}

function afterWhere (eb: Eb, key: SortKey, order: SortOrder, after: PagePosition): Expression<SqlBool> {
  const cmp = order === 'asc' ? '>' : '<'
  if (key === 'serial_number') return eb('serial_number', cmp, after.serial)
  const value = sortExpression(eb, key)
  return eb.or([eb(value, cmp, after.value), eb.and([eb(value, '=', after.value), eb('serial_number', cmp, after.serial)])])
}

const num = (v: unknown): number => Number(v)

type SummaryColumn = 'device_family' | 'model' | 'os' | 'profile_status'

const SERVER = '\u0000server'
const SERIAL = '\u0000serial'
interface LookupRow { ready_at: string | null, last_success_at: string | null, serial_number: string | null, record: string | null, removed_at: string | null, last_changed_at: string | null }

function toDeviceLookup (row: LookupRow | undefined): DeviceLookup | undefined {
  if (row === undefined) return undefined
  const out: DeviceLookup = { ready_at: row.ready_at, last_success_at: row.last_success_at }
  if (row.serial_number !== null && row.record !== null && row.last_changed_at !== null) {
    out.device = { serial_number: row.serial_number, record: row.record, removed_at: row.removed_at, last_changed_at: row.last_changed_at }
  }
  return out
}

export function createMirrorReads (db: Kysely<Database>, reader?: SqliteSnapshotReader, snapshotLimit?: number): MirrorReads {
  const lookup: CompiledQuery = db.selectFrom('inventory_state as s')
    .leftJoin('inventory_devices as d', (join) => join.onRef('d.server', '=', 's.server').on('d.serial_number', '=', SERIAL))
    .select(['s.ready_at', 's.last_success_at', 'd.serial_number', 'd.record', 'd.removed_at', 'd.last_changed_at'])
    .where('s.server', '=', SERVER)
    .compile()
  // Where each value goes, whatever order the dialect's SQL binds them in.
  const serverAt = lookup.parameters.map((p) => p === SERVER)
  const lookupParameters = (server: string, serial: string): string[] => serverAt.map((isServer) => isServer ? server : serial)
  const getDeviceNow = reader === undefined
    ? undefined
    : (server: string, serial: string) => toDeviceLookup(reader.get<LookupRow>(lookup.sql, lookupParameters(server, serial)))
  async function readPage (run: Run, server: string, opts: ListOptions): Promise<DevicePage> {
    const key = opts.sort ?? 'serial_number'
    const order = opts.order ?? 'asc'
    const after = opts.after
    let query = db.selectFrom('inventory_devices')
      .select((eb) => ['serial_number', 'record', 'removed_at', sortExpression(eb, key).as('sort_value')])
      .where((eb) => after === undefined ? selectionWhere(eb, server, opts) : eb.and([selectionWhere(eb, server, opts), afterWhere(eb, key, order, after)]))
    if (key !== 'serial_number') query = query.orderBy((eb) => sortExpression(eb, key), order)
    // One more row than asked tells whether another page follows without a count.
    const rows = await run(query.orderBy('serial_number', order).limit(opts.limit + 1).compile())
    const more = rows.length > opts.limit
    if (more) rows.pop()
    const devices = rows.map((r) => ({ serial_number: r.serial_number, record: r.record, removed_at: r.removed_at }))
    if (!more) return { devices }
    const last = rows[rows.length - 1]
    return { devices, next: { value: last.sort_value, serial: last.serial_number } }
  }
  const run: Run = async (query) => (await db.executeQuery(query)).rows

  const snapshots = createReadSnapshots(db, snapshotLimit)

  return {
    async state (server) {
      const row = await db.selectFrom('inventory_state')
        .select(['ready_at', 'last_success_at', 'last_seq', 'device_count'])
        .where('server', '=', server)
        .executeTakeFirst()
      if (row === undefined) return undefined
      return { ready_at: row.ready_at, last_success_at: row.last_success_at, last_seq: num(row.last_seq), device_count: num(row.device_count) }
    },

    getDeviceNow,

    async getDevice (server, serial) {
      if (getDeviceNow !== undefined) return getDeviceNow(server, serial)
      // The hot path: the query is compiled once (Kysely's builder costs more than the lookup); only the values change.
      const { rows: [row] } = await db.executeQuery<LookupRow>({ ...lookup, parameters: lookupParameters(server, serial) })
      return toDeviceLookup(row)
    },

    listDevices: async (server, opts) => await readPage(run, server, opts),

    async countDevices (server, selection) {
      const row = await db.selectFrom('inventory_devices')
        .select((eb) => eb.fn.countAll().as('n'))
        .where((eb) => selectionWhere(eb, server, selection))
        .executeTakeFirstOrThrow()
      return num(row.n)
    },

    async * streamDevices (server, opts = {}) {
      // In the serial's order a device keeps its place whatever a sync changes (the serial never
      // changes), so the keyset alone neither skips nor repeats one, and no connection is held for
      // as long as a client takes to read. Any other order needs the snapshot.
      const snapshot = (opts.sort ?? 'serial_number') === 'serial_number' ? undefined : await snapshots.open()
      try {
        let after: PagePosition | undefined
        do {
          const page: DevicePage = await readPage(snapshot?.run ?? run, server, { ...opts, limit: opts.batchSize ?? STREAM_BATCH, after })
          if (page.devices.length > 0) yield page.devices
          after = page.next
        } while (after !== undefined)
      } finally {
        // Also when the consumer stops early (return() or throw() suspends us at the yield).
        await snapshot?.end()
      }
    },

    async summary (server) {
      // One statement (UNION ALL of the groupings and the two totals) is one snapshot on both
      // dialects: separate queries could straddle a sync's commit and give counts that disagree.
      const devices = (removed: boolean) => db.selectFrom('inventory_devices').where('server', '=', server).where('removed_at', removed ? 'is not' : 'is', null)
      const grouped = (column: SummaryColumn) => devices(false)
        .select((eb) => [sql.lit<string>(column).as('name'), eb.ref(column).as('value'), eb.fn.countAll().as('n')])
        .groupBy(column)
      const total = (name: 'total' | 'removed') => devices(name === 'removed')
        .select((eb) => [sql.lit<string>(name).as('name'), sql<string | null>`null`.as('value'), eb.fn.countAll().as('n')])
      // The totals last: PostgreSQL takes the type of their null `value` from the branches before.
      const rows = await grouped('device_family').unionAll(grouped('model')).unionAll(grouped('os')).unionAll(grouped('profile_status'))
        .unionAll(total('total')).unionAll(total('removed'))
        .execute()
      const out: Summary = { total: 0, removed: 0, by_device_family: {}, by_model: {}, by_os: {}, by_profile_status: {} }
      for (const r of rows) {
        if (r.name === 'total' || r.name === 'removed') out[r.name] = num(r.n)
        else {
          const counts = out[`by_${r.name as SummaryColumn}`]
          // A null and a literal '(none)' count together.
          counts[r.value ?? NONE] = (counts[r.value ?? NONE] ?? 0) + num(r.n)
        }
      }
      return out
    },

    async changesSince (server, since, limit) {
      const changes = await db.selectFrom('inventory_changes')
        .select(['seq', 'op', 'serial_number', 'at', 'record'])
        .where('server', '=', server)
        .where('seq', '>', since)
        .orderBy('seq')
        .limit(limit)
        .execute()
      const state = await db.selectFrom('inventory_state').select(['last_seq', 'feed_floor', 'drop_floor']).where('server', '=', server).executeTakeFirst()
      const lastChange = changes.length === 0 ? 0 : num(changes[changes.length - 1].seq)
      return {
        changes: changes.map((c) => ({ ...c, seq: num(c.seq) })),
        // The state row is written in the change's transaction; max() guards a feed read between two of them.
        last_seq: Math.max(num(state?.last_seq ?? 0), lastChange),
        feed_floor: num(state?.feed_floor ?? 0),
        drop_floor: num(state?.drop_floor ?? 0)
      }
    },

    async endStreams () {
      await snapshots.endAll()
    }
  }
}
