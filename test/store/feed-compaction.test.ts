/**
 * Compaction of the change feed, through the store's write API on real SQLite and PostgreSQL: what
 * is deleted (superseded changes; removals past the retention below every change that stays),
 * what stays (each live device's newest change, recent removals), how the floor rises, and that a
 * reader paging from since=0 never gets a next_since below the floor.
 */
import { Kysely } from 'kysely'
import t from 'tap'
import { DIALECTS, openTestStore } from '../databases.js'
import { createDialect } from '../../src/store/dialect.js'
import { LeaseLostError, type DeviceRecord } from '../../src/store/index.js'
import type { Database } from '../../src/store/schema.js'

const DAY = 86_400_000
const RETENTION = 30 * DAY

const device = (serial: string, extra: Record<string, unknown> = {}): DeviceRecord => ({ serial_number: serial, model: 'Mac mini', os: 'OSX', device_family: 'Mac', profile_status: 'empty', ...extra })
const modified = (serial: string, status: string): DeviceRecord => device(serial, { op_type: 'modified', op_date: new Date().toISOString(), profile_status: status })
const deleted = (serial: string): DeviceRecord => device(serial, { op_type: 'deleted', op_date: new Date().toISOString() })

for (const dialect of DIALECTS) {
  t.test(dialect, async (t) => {
    let clock = Date.parse('2026-01-01T00:00:00Z')
    const store = await openTestStore(t, dialect, { now: () => new Date(clock) })
    const inv = store.mirror
    const db = new Kysely<Database>({ dialect: createDialect(store.database).dialect })
    t.teardown(() => db.destroy())
    const log = async (server: string) => (await db.selectFrom('inventory_changes').select(['seq', 'serial_number', 'op']).where('server', '=', server).orderBy('seq').execute())
      .map((c) => `${c.seq} ${c.serial_number} ${c.op}`)
    /** Every live device's seq is a change still in the log (only an expired removal's may be gone). */
    const devicesPointIntoLog = async (server: string) => {
      const orphans = await db.selectFrom('inventory_devices as d').select('d.serial_number').where('d.server', '=', server).where('d.removed_at', 'is', null)
        .where((eb) => eb.not(eb.exists(eb.selectFrom('inventory_changes as c').select('c.seq').whereRef('c.server', '=', 'd.server').whereRef('c.seq', '=', 'd.seq'))))
        .execute()
      t.same(orphans, [], 'every live device\'s last change is still in the log')
    }
    const mirror = (server: string) => {
      let cursor: string | null = null
      let n = 0
      return {
        async fetch (devices: DeviceRecord[]) {
          t.ok(await inv.acquireLease(server, 'me', 365 * DAY))
          await inv.startFullFetch(server, 'me')
          await inv.applyPage(server, 'me', { phase: 'fetch', sentCursor: null, devices, cursor: cursor = `c${++n}`, moreToFollow: false })
        },
        async sync (devices: DeviceRecord[]) {
          await inv.applyPage(server, 'me', { phase: 'sync', sentCursor: cursor, devices, cursor: cursor = `c${++n}`, moreToFollow: false })
        }
      }
    }
    /** Reads the feed from 0 to its head `limit` changes at a time, as the route does; every next since must be one the route accepts. */
    const readFromZero = async (server: string, limit: number) => {
      const seen: number[] = []
      let since = 0
      for (;;) {
        const page = await inv.changesSince(server, since, limit)
        t.ok(since === 0 || since >= page.feed_floor, `since=${since} is at or above the floor ${page.feed_floor}`)
        seen.push(...page.changes.map((c) => c.seq))
        if (page.changes.length === 0) return seen
        since = page.changes[page.changes.length - 1].seq
      }
    }

    t.test('superseded changes go, each device\'s newest change stays, recent removals stay', async (t) => {
      const m = mirror('a')
      await m.fetch([device('A1'), device('A2'), device('A3'), device('A4')])
      await m.sync([modified('A2', 'assigned'), deleted('A3')])
      await m.sync([modified('A2', 'pushed')])
      t.same(await log('a'), ['1 A1 added', '2 A2 added', '3 A3 added', '4 A4 added', '5 A2 modified', '6 A3 removed', '7 A2 modified'])
      // Windows of two changes: the log is walked in four fenced steps.
      t.same(await inv.compactFeed('a', 'me', RETENTION, 2), { superseded: 3, expired: 0, feedFloor: 0 })
      t.same(await log('a'), ['1 A1 added', '4 A4 added', '6 A3 removed', '7 A2 modified'])
      await devicesPointIntoLog('a')
      t.same(await inv.compactFeed('a', 'me', RETENTION, 2), { superseded: 0, expired: 0, feedFloor: 0 }, 'compacting again changes nothing')
      const page = await inv.changesSince('a', 0, 10)
      t.same(page.changes.map((c) => c.seq), [1, 4, 6, 7], 'since=0: every device\'s newest change')
      t.equal(page.last_seq, 7)
      t.equal(JSON.parse(page.changes[3].record).profile_status, 'pushed', 'the device as it is now')

      // 31 days on, the removal is past the retention, but A1 (never changed since seq 1) is below
      // it: deleting it would leave a since=0 reader's next_since (1) below the floor.
      clock += 31 * DAY
      t.same(await inv.compactFeed('a', 'me', RETENTION), { superseded: 0, expired: 0, feedFloor: 0 }, 'a removal above a kept change stays')
      await m.sync([modified('A1', 'assigned'), modified('A4', 'assigned'), deleted('A2')])
      t.same(await inv.compactFeed('a', 'me', RETENTION), { superseded: 3, expired: 1, feedFloor: 6 }, 'now below every kept change: it goes, the floor rises to it')
      t.same(await log('a'), ['8 A1 modified', '9 A4 modified', '10 A2 removed'], 'the recent removal stays')
      await devicesPointIntoLog('a')
      t.match(await inv.getState('a'), { feed_floor: 6, drop_floor: 0, last_seq: 10 })
      t.same(await readFromZero('a', 1), [8, 9, 10])

      // A2's removal expires too, but A1 and A4 (seq 8, 9) are below it: it stays.
      clock += 31 * DAY
      t.same(await inv.compactFeed('a', 'me', RETENTION), { superseded: 0, expired: 0, feedFloor: 6 })
      t.same(await readFromZero('a', 1), [8, 9, 10])

      // A server dropped after a compaction: the drop's floor is above the compaction's.
      await inv.purge('a')
      t.match(await inv.getState('a'), { last_seq: 11, feed_floor: 11, drop_floor: 11 })
    })

    t.test('expired removals go in windows; the floor is the newest one deleted', async (t) => {
      const m = mirror('b')
      await m.fetch([device('R1'), device('R2'), device('R3'), device('R4'), device('L1')])
      await m.sync([deleted('R1'), deleted('R2'), deleted('R3'), deleted('R4')])
      clock += 31 * DAY
      await m.sync([modified('L1', 'assigned')])
      t.same(await inv.compactFeed('b', 'me', RETENTION, 2), { superseded: 5, expired: 4, feedFloor: 9 })
      t.same(await log('b'), ['10 L1 modified'])
      await devicesPointIntoLog('b')
      t.same(await readFromZero('b', 1), [10])
    })

    t.test('every device removed long ago: the log empties, the floor is the head', async (t) => {
      const m = mirror('c')
      await m.fetch([device('X1'), device('X2')])
      await m.sync([deleted('X1'), deleted('X2')])
      clock += 30 * DAY
      t.same(await inv.compactFeed('c', 'me', RETENTION), { superseded: 2, expired: 0, feedFloor: 0 }, 'exactly 30 days old: kept')
      clock += 1
      t.same(await inv.compactFeed('c', 'me', RETENTION), { superseded: 0, expired: 2, feedFloor: 4 })
      t.same(await log('c'), [])
      const page = await inv.changesSince('c', 0, 10)
      t.same(page, { changes: [], last_seq: 4, feed_floor: 4, drop_floor: 0 }, 'since=0 answers nothing, its next_since is the floor')
      // No device was left: a consumer at the head holds nothing a drop could make it lose.
      await inv.purge('c')
      t.match(await inv.getState('c'), { last_seq: 4, feed_floor: 4 })
    })

    t.test('fenced: a replica without the lease compacts nothing', async (t) => {
      const m = mirror('d')
      await m.fetch([device('D1')])
      await m.sync([modified('D1', 'assigned')])
      await t.rejects(inv.compactFeed('d', 'other', RETENTION), LeaseLostError)
      t.same(await log('d'), ['1 D1 added', '2 D1 modified'])
    })
  })
}
