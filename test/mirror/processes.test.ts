// @slow: starts and kills depgate processes from the compiled build
/**
 * depgate as real processes (`depgate serve` from the build, as it runs in production; `npm test`
 * builds first) sharing a database: killed with SIGKILL in the middle of a sync and restarted, and
 * two replicas on one PostgreSQL of which exactly one syncs until it dies.
 */
import { randomBytes } from 'node:crypto'
import t from 'tap'
import { createTestSchema } from '../databases.js'
import { startSim, type Sim } from '../dep/sim.js'
import { until } from '../helper.js'
import { type Depgate, depgateEnv, startDepgate } from '../processes-kit.js'
import { mirrorDb, mirrorDevices, replayChanges, sameDevices, simTruth } from './mirror-kit.js'

/** The mirror holds exactly the truth (same serials, same fields). */
async function equal (db: Parameters<typeof mirrorDevices>[0], truth: Awaited<ReturnType<typeof simTruth>>): Promise<boolean> {
  const mirror = await mirrorDevices(db)
  const key = (d: Record<string, unknown>): string => JSON.stringify(Object.keys(d).sort().map((k) => [k, d[k]]))
  return Object.keys(mirror).length === Object.keys(truth).length && Object.entries(truth).every(([serial, d]) => mirror[serial] !== undefined && key(mirror[serial]) === key(d))
}

const syncRuns = (d: Depgate): number => d.lines.filter((l) => l.includes('inventory: sync done')).length

async function changeTheFleet (sim: Sim, offset: number): Promise<void> {
  const serials = Object.keys(await simTruth(sim.control))
  await sim.control('POST', '/_sim/devices', { count: 400 })
  for (const serial of serials.slice(offset, offset + 250)) await sim.control('PATCH', `/_sim/devices/${serial}`, { profile_status: 'pushed' })
  for (const serial of serials.slice(offset + 250, offset + 400)) await sim.control('DELETE', `/_sim/devices/${serial}`)
}

t.test('killed with SIGKILL in the middle of a sync, then restarted: the mirror equals the truth, the compacted feed shows each device once', async (t) => {
  const sim = await startSim(t, { devices: 2000, seed: 11 })
  const env = depgateEnv(t, sim, {})
  const db = mirrorDb(t, { dataDir: env.DEPGATE_DATA_DIR! })
  const state = async () => await db.selectFrom('inventory_state').selectAll().where('server', '=', 'default').executeTakeFirst()

  const first = await startDepgate(t, env)
  const ready = await until('the first fetch', async () => { const s = await state(); return s?.ready_at != null && s }, 60_000)
  t.equal(ready.last_seq, 2000)

  await changeTheFleet(sim, 0)
  // Slow pages: the sync of 800 changes spans about 8 pages of 250 ms.
  await sim.fault({ endpoint: 'sync_devices', kind: 'latency', ms: 250, times: 0 })
  await until('a sync in progress', async () => ((await state())?.last_seq ?? 0) >= 2200 || undefined, 60_000)
  first.child.kill('SIGKILL')
  await first.exited
  const killedAt = (await state())!
  t.ok(killedAt.last_seq < 2800, `killed midway (${killedAt.last_seq - 2000} of 800 changes written)`)
  await sim.control('DELETE', '/_sim/faults')

  const second = await startDepgate(t, env)
  const truth = await simTruth(sim.control)
  // The run is logged after its commit: wait for both, or the log line can still be in the pipe.
  await until('the mirror to catch up (and the run to be logged)', async () => await equal(db, truth) && syncRuns(second) >= 1, 60_000)
  sameDevices(t, await mirrorDevices(db), truth, 'the mirror equals the truth')
  const { ops } = await replayChanges(t, db, 'default', { compacted: true })
  // The run that caught up compacted the feed before it was logged: each of the 2400 devices ever
  // seen shows exactly once, by its latest change (a patch that set what a device already had is
  // no change, so which of the live ones are `modified` varies).
  t.equal(ops.removed, 150, 'every removal exactly once')
  t.equal(ops.added + ops.modified, 2250, 'every live device exactly once')
  t.ok(syncRuns(second) >= 1, 'the restarted process synced')
  t.ok(second.lines.some((l) => l.includes('inventory: change feed compacted') && l.includes('"superseded":')), 'and logged its compaction with counts')
  second.child.kill('SIGTERM')
  await second.exited
  t.equal((await state())?.lease_owner, null, 'a graceful stop hands the lease back')
})

t.test('two replicas on one PostgreSQL: exactly one syncs; the other takes over when it is killed', async (t) => {
  const sim = await startSim(t, { devices: 500, seed: 12 })
  const { url } = await createTestSchema(t)
  const shared = { DEPGATE_DATABASE_URL: url, DEPGATE_SECRET_KEY: randomBytes(32).toString('hex') }
  const a = await startDepgate(t, depgateEnv(t, sim, shared))
  const b = await startDepgate(t, depgateEnv(t, sim, shared))
  const db = mirrorDb(t, { databaseUrl: url })
  const state = async () => await db.selectFrom('inventory_state').selectAll().where('server', '=', 'default').executeTakeFirst()
  await until('the first fetch', async () => (await state())?.ready_at != null, 60_000)

  const owner = (await state())!.lease_owner!
  const [leader, follower] = owner.includes(`:${a.child.pid!}:`) ? [a, b] : [b, a]
  t.ok(owner.includes(`:${leader.child.pid!}:`), 'the lease names one of the two processes')

  await changeTheFleet(sim, 0)
  const changed = await simTruth(sim.control)
  await until('the change to be synced (and its run logged, which follows the commit)', async () => await equal(db, changed) && syncRuns(leader) >= 2, 60_000)
  t.ok(syncRuns(leader) >= 2, 'the leader synced')
  t.equal(syncRuns(follower), 0, 'the follower did not')

  leader.child.kill('SIGKILL')
  await leader.exited
  await changeTheFleet(sim, 100)
  const truth = await simTruth(sim.control)
  await until('the follower to take over and sync (and log it)', async () => await equal(db, truth) && syncRuns(follower) >= 1, 60_000)
  t.ok((await state())!.lease_owner!.includes(`:${follower.child.pid!}:`), 'the follower holds the lease')
  t.ok(syncRuns(follower) >= 1, 'and synced')
  sameDevices(t, await mirrorDevices(db), truth, 'the mirror equals the truth')
  await replayChanges(t, db, 'default', { compacted: true })
})
