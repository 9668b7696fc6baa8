// @slow: every fault against a running sync
/**
 * The fault matrix for the mirror: every fault of test/faults/faults.ts (in each of its modes)
 * strikes the second page of a sync. The run either outlives it (retried bursts, a re-authenticated
 * session, a cursor Apple refused: re-fetched) or stops with the fault's documented code in the
 * server's status; either way the next run leaves the mirror equal to the simulator's truth and
 * the change feed without a gap or a duplicate.
 */
import t from 'tap'
import { CLIENT, arm, reset } from '../faults/harness.js'
import { FAULTS, modesOf, type FaultSpec, type Mode } from '../faults/faults.js'
import type { TestStore } from '../databases.js'
import { buildTestApp, until } from '../helper.js'
import { mirrorDb, mirrorDevices, replayChanges, sameDevices, simTruth } from './mirror-kit.js'

/** Cursor codes after which the syncer starts a full re-fetch by itself. */
const REFETCH_CODES = new Set(['EXPIRED_CURSOR', 'INVALID_CURSOR'])

function recovers (f: FaultSpec, mode: Mode): boolean {
  if (f.class === 'session') return true
  if (f.class === 'transient') return mode === 'burst'
  return REFETCH_CODES.has(f.problem?.code ?? '')
}

const cells = FAULTS.flatMap((fault) => modesOf(fault).map((mode) => ({ fault, mode })))

t.test('every fault in the middle of a sync: the mirror loses and duplicates nothing', async (t) => {
  const h = await buildTestApp(t, {
    env: { DEPGATE_MIRROR: 'true', DEPGATE_SYNC_PAGE_SIZE: '5', DEPGATE_SYNC_INTERVAL: '3600' },
    simulator: { devices: 60, seed: 21 },
    depClientOptions: CLIENT
  })
  await h.app.ready()
  const started = h.sim!
  const sim = started.app.sim
  const accessSecret = sim.credentials.access_secret
  const db = mirrorDb(t, (h.store as TestStore).database)
  const control = async <T>(method: string, path: string, body?: unknown): Promise<T> => {
    const res = await fetch(`${started.url}${path}`, { method, headers: { 'content-type': 'application/json' }, body: body === undefined ? undefined : JSON.stringify(body) })
    return await res.json() as T
  }
  const sync = async () => await h.app.mirror.requestSync('default', { wait: true })
  await until('the first fetch', async () => (await h.app.mirror.status('default')).ready)

  for (const [n, { fault, mode }] of cells.entries()) {
    await t.test(`${fault.name} (${mode})`, async (t) => {
      const serials = Object.keys(await simTruth(control))
      await control('POST', '/_sim/devices', { count: 6 })
      for (const serial of serials.slice(n, n + 6)) await control('PATCH', `/_sim/devices/${serial}`, { asset_tag: `cell ${n}` })
      for (const serial of serials.slice(n + 6, n + 9)) await control('DELETE', `/_sim/devices/${serial}`)
      arm(sim, 'sync_devices', 2, () => {
        fault.inject(sim, 'sync_devices', mode === 'outage' ? 0 : 2, { headersMs: 300 })
      })
      const hit = await sync()
      reset(sim, accessSecret)
      if (recovers(fault, mode)) t.equal(hit.last_error, null, 'recovered within the run')
      else t.equal(hit.last_error?.code, fault.problem?.code, 'the status names the documented code')
      const next = await sync()
      t.equal(next.last_error, null, 'the next run succeeds')
      sameDevices(t, await mirrorDevices(db), await simTruth(control), 'the mirror equals the truth')
      await replayChanges(t, db, 'default', { compacted: true })
    })
  }
})
