import { Kysely } from 'kysely'
import t from 'tap'
import { DIALECTS, openTestStore } from '../databases.js'
import { createDialect } from '../../src/store/dialect.js'
import { LeaseLostError, type DeviceRecord } from '../../src/store/index.js'
import type { Database } from '../../src/store/schema.js'

const device = (serial: string, extra: Record<string, unknown> = {}): DeviceRecord => ({ serial_number: serial, model: 'Mac mini', os: 'OSX', device_family: 'Mac', profile_status: 'empty', ...extra })

for (const dialect of DIALECTS) {
  t.test(dialect, async (t) => {
    let clock = Date.parse('2026-11-25T10:00:00Z')
    const store = await openTestStore(t, dialect, { now: () => new Date(clock) })
    const inv = store.mirror
    // The change log as stored, read beside the repository (the read side has its own tests).
    const db = new Kysely<Database>({ dialect: createDialect(store.database).dialect })
    t.teardown(() => db.destroy())
    const addServer = async (name: string) => {
      const at = new Date(clock).toISOString()
      await db.insertInto('servers').values({ name, token: '', created_at: at, updated_at: at }).execute()
    }
    const changes = async (server = 'default') => await db.selectFrom('inventory_changes').selectAll().where('server', '=', server).orderBy('seq').execute()

    t.test('the lease: one owner at a time, free again when released or expired', async (t) => {
      t.equal(await inv.acquireLease('lease', 'a', 30_000), true)
      t.equal(await inv.acquireLease('lease', 'b', 30_000), false, 'held by a')
      t.equal(await inv.acquireLease('lease', 'a', 30_000), true, 'a renews')
      clock += 31_000
      t.equal(await inv.acquireLease('lease', 'b', 30_000), true, 'expired: b takes over')
      await t.rejects(inv.applyPage('lease', 'a', { phase: 'fetch', sentCursor: null, devices: [device('AAAA0001')], cursor: 'c1', moreToFollow: false }), LeaseLostError, 'a is fenced out')
      t.equal(await inv.renewLease('lease', 'a', 30_000), false, 'a cannot renew what b holds')
      t.equal(await inv.renewLease('lease', 'b', 30_000), true, 'b renews')
      t.equal((await inv.getState('lease'))?.last_seq, 0, 'nothing written by a')
      await inv.releaseLease('lease', 'a')
      t.equal((await inv.getState('lease'))?.lease_owner, 'b', 'a cannot release what b holds')
      await inv.releaseLease('lease', 'b')
      t.equal(await inv.acquireLease('lease', 'c', 30_000), true, 'released: c takes it at once')
      await inv.purge('lease')
      t.match(await inv.getState('lease'), { lease_owner: null, lease_expires_at: null, last_seq: 0, feed_floor: 0 }, 'dropped: a tombstone, its lease free')
    })

    t.test('fetch, sync, re-fetch: the change log has no gaps and the cursor moves with its page', async (t) => {
      t.ok(await inv.acquireLease('default', 'me', 30_000))
      await inv.startFullFetch('default', 'me')
      let r = await inv.applyPage('default', 'me', { phase: 'fetch', sentCursor: null, devices: [device('AAAA0001'), device('AAAA0002')], cursor: 'f1', moreToFollow: true })
      t.match(r, { added: 2, modified: 0, removed: 0, lastSeq: 2, fetchCompleted: false })
      let state = await inv.getState('default')
      t.match(state, { phase: 'fetch', cursor: 'f1', ready_at: null, device_count: 2, generation: 1 })
      await t.rejects(inv.applyPage('default', 'me', { phase: 'fetch', sentCursor: null, devices: [device('AAAA0009')], cursor: 'old', moreToFollow: false }), LeaseLostError, 'a page from a cursor that moved on is stale')
      r = await inv.applyPage('default', 'me', { phase: 'fetch', sentCursor: 'f1', devices: [device('AAAA0003')], cursor: 'f2', moreToFollow: false })
      t.match(r, { added: 1, lastSeq: 3, fetchCompleted: true })
      state = await inv.getState('default')
      t.match(state, { phase: 'sync', cursor: 'f2', device_count: 3 })
      t.ok(state?.ready_at)

      // Sync: a repeated serial resolves to the latest op_date; modified-never-seen counts as added; deleted removes.
      await t.rejects(inv.applyPage('default', 'me', { phase: 'fetch', sentCursor: 'f2', devices: [], cursor: 'x', moreToFollow: false }), LeaseLostError, 'a page of the wrong phase is stale')
      r = await inv.applyPage('default', 'me', {
        phase: 'sync',
        sentCursor: 'f2',
        cursor: 's1',
        moreToFollow: false,
        devices: [
          device('AAAA0001', { op_type: 'modified', op_date: '2026-11-25T10:00:02Z', profile_status: 'pushed' }),
          device('AAAA0001', { op_type: 'modified', op_date: '2026-11-25T10:00:01Z', profile_status: 'assigned' }),
          device('AAAA0009', { op_type: 'modified', op_date: '2026-11-25T10:00:01Z' }),
          device('AAAA0002', { op_type: 'deleted', op_date: '2026-11-25T10:00:03Z', released_by_replacement: true }),
          device('ZZZZ0000', { op_type: 'deleted', op_date: '2026-11-25T10:00:03Z' })
        ]
      })
      t.match(r, { added: 1, modified: 1, removed: 1, lastSeq: 6, fetchCompleted: false })
      const log = await changes()
      t.same(log.map((c) => [c.seq, c.serial_number, c.op]), [
        [1, 'AAAA0001', 'added'], [2, 'AAAA0002', 'added'], [3, 'AAAA0003', 'added'],
        [4, 'AAAA0001', 'modified'], [5, 'AAAA0009', 'added'], [6, 'AAAA0002', 'removed']
      ])
      t.equal(JSON.parse(log[3]!.record).profile_status, 'pushed', 'the latest op_date won')
      t.notOk('op_type' in JSON.parse(log[3]!.record), 'sync-only fields are not stored')
      t.equal(JSON.parse(log[5]!.record).released_by_replacement, true, 'what the deletion said is kept')
      t.equal(JSON.parse(log[5]!.record).model, 'Mac mini', 'with what was known')

      // A stale record (older op_date than the one applied) changes nothing.
      r = await inv.applyPage('default', 'me', { phase: 'sync', sentCursor: 's1', cursor: 's2', moreToFollow: false, devices: [device('AAAA0001', { op_type: 'modified', op_date: '2026-11-25T09:00:00Z', profile_status: 'removed' })] })
      t.match(r, { added: 0, modified: 0, removed: 0, lastSeq: 6 })
      t.equal((await inv.getState('default'))?.cursor, 's2', 'the cursor still moves')

      // A full re-fetch: unchanged devices make no change, unseen ones are removed, a removed one seen again is re-added.
      await inv.startFullFetch('default', 'me')
      t.match(await inv.getState('default'), { phase: 'fetch', cursor: null, generation: 2 })
      r = await inv.applyPage('default', 'me', { phase: 'fetch', sentCursor: null, devices: [device('AAAA0001', { profile_status: 'pushed' }), device('AAAA0002')], cursor: 'g1', moreToFollow: true })
      t.match(r, { added: 1, modified: 0, removed: 0 }, 'AAAA0002 comes back')
      await t.rejects(inv.completeFetch('default', 'me', 'f2'), LeaseLostError, 'an exhausted answer to an old cursor is stale')
      r = await inv.completeFetch('default', 'me', 'g1')
      t.match(r, { removed: 2, fetchCompleted: true, lastSeq: 9 }, 'AAAA0003 and AAAA0009 were not seen')
      const state2 = await inv.getState('default')
      t.match(state2, { phase: 'sync', cursor: 'g1', device_count: 2 })
    })

    t.test('errors, attempts and requests are recorded for the holder only', async (t) => {
      t.ok(await inv.acquireLease('x', 'me', 30_000))
      await inv.recordAttempt('x', 'me')
      await inv.recordError('x', 'me', { code: 'T_C_NOT_SIGNED', message: 'accept the terms', status: 403 })
      t.match(await inv.getState('x'), { last_error_code: 'T_C_NOT_SIGNED', last_error_message: 'accept the terms', last_error_status: 403 })
      await inv.recordError('x', 'other', { code: 'NOPE', message: 'no', status: 500 })
      t.equal((await inv.getState('x'))?.last_error_code, 'T_C_NOT_SIGNED')
      await inv.recordSuccess('x', 'me')
      t.match(await inv.getState('x'), { last_error_code: null, last_error_status: null, last_success_at: '2026-11-25T' })
      await inv.requestSync('x', true)
      await inv.requestSync('x', false)
      const requested = await inv.getState('x')
      t.equal(requested?.requested_full, 1, 'a full request stays full')
      await inv.clearRequest('x', 'me', 'not-the-same-time')
      t.ok((await inv.getState('x'))?.requested_at, 'a newer request is not cleared')
      await inv.clearRequest('x', 'me', requested!.requested_at!)
      t.match(await inv.getState('x'), { requested_at: null, requested_full: 0 })
      await inv.requestSync('x', true)
      await inv.startFullFetch('x', 'me')
      t.match(await inv.getState('x'), { requested_full: 0 }, 'a full fetch starting serves a full request')
      t.ok((await inv.getState('x'))?.requested_at, 'the request itself stays until the run clears it')
      t.notOk((await inv.listStates()).some((s) => s.server === 'x'), 'not in the servers table: not listed')
      await addServer('x')
      t.ok((await inv.listStates()).some((s) => s.server === 'x'))
    })

    t.test('a dropped mirror leaves a tombstone: a server name never reuses a sequence number', async (t) => {
      const fill = async (server: string, serials: string[]) => {
        t.ok(await inv.acquireLease(server, 'me', 30_000))
        await inv.startFullFetch(server, 'me')
        return await inv.applyPage(server, 'me', { phase: 'fetch', sentCursor: null, devices: serials.map((s) => device(s)), cursor: 'c', moreToFollow: false })
      }
      const devices = async (server: string) => await db.selectFrom('inventory_devices').select('serial_number').where('server', '=', server).execute()
      await addServer('kept')
      t.match(await fill('kept', ['KEPT0001']), { lastSeq: 1 })
      t.match(await fill('gone', ['GONE0001', 'GONE0002']), { lastSeq: 2, fetchCompleted: true })
      await inv.recordError('gone', 'me', { code: 'X', message: 'x', status: 502 })
      await inv.requestSync('gone', true)

      // 'gone' is not in the servers table (deleted): its devices and log go, its row stays, reset.
      await inv.purgeOrphans()
      const tombstone = await inv.getState('gone')
      t.match(tombstone, {
        last_seq: 3,
        feed_floor: 3,
        drop_floor: 3,
        phase: 'fetch',
        generation: 0,
        cursor: null,
        ready_at: null,
        last_success_at: null,
        last_error_code: null,
        device_count: 0,
        requested_at: null,
        requested_full: 0,
        lease_owner: null
      }, 'the old head is 2: the floor is 3, a number no change carries')
      t.same(await changes('gone'), [])
      t.same(await devices('gone'), [])
      t.equal((await changes('kept')).length, 1, 'a server still configured keeps its mirror')
      t.match(await inv.getState('kept'), { last_seq: 1, feed_floor: 0, device_count: 1 })
      t.same((await inv.listStates()).map((s) => s.server).filter((s) => s === 'gone' || s === 'kept'), ['kept'], 'a tombstone is not listed')
      await t.rejects(inv.applyPage('gone', 'me', { phase: 'fetch', sentCursor: null, devices: [device('GONE0009')], cursor: 'd', moreToFollow: false }), LeaseLostError, 'a replica still syncing it is fenced out')
      await inv.purgeOrphans()
      t.same(await inv.getState('gone'), tombstone, 'dropping a tombstone again changes nothing')

      // Added again: the row is there, the new feed goes on after the floor.
      t.match(await fill('gone', ['GONE0001']), { added: 1, lastSeq: 4 })
      t.same((await changes('gone')).map((c) => [c.seq, c.serial_number, c.op]), [[4, 'GONE0001', 'added']])
      t.match(await inv.getState('gone'), { generation: 1, feed_floor: 3, device_count: 1 })
      await inv.purge('gone')
      t.match(await inv.getState('gone'), { last_seq: 5, feed_floor: 5, drop_floor: 5 }, 'dropped again: past the new head')
      t.ok(await inv.acquireLease('gone', 'me', 30_000))
      await inv.purge('gone')
      t.match(await inv.getState('gone'), { last_seq: 5, feed_floor: 5 }, 'a feed with no change since its floor keeps it: no consumer can hold a since to lose')
    })
  })
}
