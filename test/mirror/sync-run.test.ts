// @slow: syncs a 20,000-device fleet
import t from 'tap'
import { DepCursorError, DepError } from '../../src/dep/index.js'
import { runSync } from '../../src/mirror/sync-run.js'
import { DIALECTS, openTestStore } from '../databases.js'
import { simClient, startSim } from '../dep/sim.js'
import { mirrorDb, mirrorDevices, replayChanges, sameDevices, simTruth } from './mirror-kit.js'

const OWNER = 'test-replica'

for (const dialect of DIALECTS) {
  t.test(dialect, async (t) => {
    t.test('a first fetch of 20,000 devices, then adds, modifies and deletes: the mirror equals the truth', async (t) => {
      const sim = await startSim(t, { devices: 20_000, seed: 7 })
      const { client } = simClient(t, sim)
      const store = await openTestStore(t, dialect)
      const db = mirrorDb(t, store.database)
      const repo = store.mirror
      t.ok(await repo.acquireLease('default', OWNER, 60_000))
      const pages: number[] = []
      const first = await runSync({ server: 'default', owner: OWNER, client, repo, pageSize: 1000, onPage: (r) => pages.push(r.lastSeq) })
      t.match(first, { pages: 20, added: 20_000, modified: 0, removed: 0, fullFetch: true, lastSeq: 20_000 })
      t.same(pages.slice(0, 2), [1000, 2000], 'each page is committed as it arrives')
      sameDevices(t, await mirrorDevices(db), await simTruth(sim.control), 'after the first fetch')
      t.match(await repo.getState('default'), { phase: 'sync', device_count: 20_000 })

      const truth = Object.keys(await simTruth(sim.control))
      await sim.control('POST', '/_sim/devices', { count: 150 })
      for (const serial of truth.slice(0, 120)) await sim.control('PATCH', `/_sim/devices/${serial}`, { profile_status: 'assigned', profile_uuid: 'ABCDEF0123456789ABCDEF0123456789' })
      for (const serial of truth.slice(100, 110)) await sim.control('PATCH', `/_sim/devices/${serial}`, { asset_tag: 'second change, same page' })
      for (const [i, serial] of truth.slice(200, 280).entries()) await sim.control('DELETE', `/_sim/devices/${serial}`, { released_by_replacement: i % 2 === 0 })
      const second = await runSync({ server: 'default', owner: OWNER, client, repo, pageSize: 100 })
      t.match(second, { added: 150, modified: 120, removed: 80, fullFetch: false })
      t.ok(second.pages > 1, 'the sync itself spans pages')
      sameDevices(t, await mirrorDevices(db), await simTruth(sim.control), 'after the sync')
      const { devices, ops } = await replayChanges(t, db)
      t.same(ops, { added: 20_150, modified: 120, removed: 80 })
      sameDevices(t, devices, await mirrorDevices(db), 'the change feed replays into the mirror')
      const removed = await db.selectFrom('inventory_changes').select('record').where('op', '=', 'removed').orderBy('seq').limit(2).execute()
      t.same(removed.map((r) => JSON.parse(r.record).released_by_replacement), [true, undefined], 'what Apple said about a deletion is kept')
      t.ok(removed.every((r) => typeof JSON.parse(r.record).model === 'string'), 'with what was known of the device')

      t.match(await runSync({ server: 'default', owner: OWNER, client, repo }), { pages: 1, added: 0, modified: 0, removed: 0 }, 'nothing new: one empty page')
    })

    t.test('an expired cursor starts a full re-fetch, which removes what it no longer sees', async (t) => {
      const sim = await startSim(t, { devices: 300, seed: 3 })
      // The client keeps the real clock: the simulator checks OAuth timestamps against the wall clock.
      const { client } = simClient(t, sim)
      const store = await openTestStore(t, dialect)
      const db = mirrorDb(t, store.database)
      const repo = store.mirror
      t.ok(await repo.acquireLease('default', OWNER, 60_000))
      await runSync({ server: 'default', owner: OWNER, client, repo, pageSize: 100 })
      const serials = Object.keys(await simTruth(sim.control))
      for (const serial of serials.slice(0, 5)) await sim.control('DELETE', `/_sim/devices/${serial}`)
      await sim.control('PATCH', `/_sim/devices/${serials[10]!}`, { color: 'MIDNIGHT' })
      await sim.control('POST', '/_sim/clock', { advanceMs: 8 * 86_400_000 })
      const run = await runSync({ server: 'default', owner: OWNER, client, repo, pageSize: 100 })
      t.match(run, { fullFetch: true, added: 0, modified: 1, removed: 5 })
      sameDevices(t, await mirrorDevices(db), await simTruth(sim.control), 'equal to the truth')
      await replayChanges(t, db)
      t.match(await repo.getState('default'), { phase: 'sync', generation: 2 })
    })

    t.test('an invalid cursor on sync, or CURSOR_REQUIRED, also re-fetches; EXHAUSTED_CURSOR on fetch ends the fetch', async (t) => {
      const sim = await startSim(t, { devices: 250, seed: 4 })
      const { client } = simClient(t, sim)
      const store = await openTestStore(t, dialect)
      const db = mirrorDb(t, store.database)
      const repo = store.mirror
      t.ok(await repo.acquireLease('default', OWNER, 60_000))
      await sim.fault({ endpoint: 'fetch_devices', kind: 'status', status: 400, code: 'EXHAUSTED_CURSOR', times: 1 })
      // The fault answers the first fetch: the (empty) fetch is over, and a sync without a cursor
      // (CURSOR_REQUIRED from Apple) sends the run back to a full fetch.
      t.match(await runSync({ server: 'default', owner: OWNER, client, repo, pageSize: 100 }), { fullFetch: true, added: 250 })
      t.match(await repo.getState('default'), { phase: 'sync', generation: 2 })
      await sim.fault({ endpoint: 'sync_devices', kind: 'status', status: 400, code: 'INVALID_CURSOR', times: 1 })
      await sim.control('POST', '/_sim/devices', { count: 3 })
      t.match(await runSync({ server: 'default', owner: OWNER, client, repo, pageSize: 100 }), { fullFetch: true, added: 3, removed: 0 })
      sameDevices(t, await mirrorDevices(db), await simTruth(sim.control), 'equal to the truth')
      await sim.fault({ endpoint: 'sync_devices', kind: 'status', status: 400, code: 'EXHAUSTED_CURSOR', times: 1 })
      t.match(await runSync({ server: 'default', owner: OWNER, client, repo }), { pages: 0 }, 'an exhausted sync cursor is simply nothing new')
      await sim.fault({ endpoint: 'fetch_devices', kind: 'status', status: 400, code: 'INVALID_CURSOR', times: 0 })
      await t.rejects(runSync({ server: 'default', owner: OWNER, client, repo, full: true }), { code: 'INVALID_CURSOR' }, 'a refused fresh fetch is not retried forever')
      await replayChanges(t, db)
    })

    t.test('the same-cursor anomaly stops the run after storing the page; the next run resumes', async (t) => {
      const sim = await startSim(t, { devices: 120, seed: 5 })
      const { client } = simClient(t, sim)
      const store = await openTestStore(t, dialect)
      const db = mirrorDb(t, store.database)
      const repo = store.mirror
      t.ok(await repo.acquireLease('default', OWNER, 60_000))
      await runSync({ server: 'default', owner: OWNER, client, repo })
      const before = (await repo.getState('default'))!
      await sim.control('POST', '/_sim/devices', { count: 2 })
      await sim.fault({ endpoint: 'sync_devices', kind: 'same_cursor', times: 1 })
      const err = await runSync({ server: 'default', owner: OWNER, client, repo }).catch((e: unknown) => e)
      t.ok(err instanceof DepCursorError && err.code === 'SAME_CURSOR', 'SAME_CURSOR, not a loop')
      t.equal((await repo.getState('default'))?.cursor, before.cursor, 'the cursor is kept')
      t.match(await runSync({ server: 'default', owner: OWNER, client, repo }), { added: 2 })
      sameDevices(t, await mirrorDevices(db), await simTruth(sim.control), 'equal to the truth')
    })

    t.test('Apple refusing the token is thrown for the caller to record; nothing is written', async (t) => {
      const sim = await startSim(t, { devices: 10 })
      const { client } = simClient(t, sim)
      const store = await openTestStore(t, dialect)
      const repo = store.mirror
      t.ok(await repo.acquireLease('default', OWNER, 60_000))
      await sim.fault({ endpoint: 'fetch_devices', kind: 'status', status: 403, code: 'T_C_NOT_SIGNED', times: 0 })
      const err = await runSync({ server: 'default', owner: OWNER, client, repo }).catch((e: unknown) => e)
      t.ok(err instanceof DepError && err.code === 'T_C_NOT_SIGNED')
      t.match(await repo.getState('default'), { last_seq: 0, ready_at: null, phase: 'fetch' })
    })
  })
}
