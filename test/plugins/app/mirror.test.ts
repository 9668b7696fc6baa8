import t, { type Test } from 'tap'
import { Mirror } from '../../../src/mirror/mirror.js'
import { ManualScheduler } from '../../../src/scheduler.js'
import { LeaseLostError, type Store } from '../../../src/store/index.js'
import { buildTestApp, type TestApp, until } from '../../helper.js'

const ON = { DEPGATE_MIRROR: 'true', DEPGATE_SYNC_LEASE: '3' }

/** A wrapStore whose mirror repository's `method` throws `error(args)` on its first call, then works. */
function failFirst (method: 'acquireLease' | 'compactFeed', error: (args: unknown[]) => Error) {
  return (store: Store): Store => {
    let failures = 1
    const real = store.mirror[method] as (...args: unknown[]) => Promise<unknown>
    const failing = async (...args: unknown[]): Promise<unknown> => {
      if (failures-- > 0) throw error(args)
      return await real.apply(store.mirror, args)
    }
    return { ...store, mirror: { ...store.mirror, [method]: failing } as Store['mirror'] }
  }
}

const ready = async (h: TestApp, server = 'default') =>
  await until(`${server} ready`, async () => { const s = await h.app.mirror.status(server); return s.ready && s })

t.test('the mirror fills itself once the app is ready, and reports its status and metrics', async (t) => {
  const h = await buildTestApp(t, { env: ON, simulator: { devices: 1500 } })
  await h.app.ready()
  const status = await ready(h)
  t.match(status, { enabled: true, ready: true, phase: 'sync', device_count: 1500, last_seq: 1500, leader: true, last_error: null, sync_requested_at: null })
  t.type(status.cursor_age_seconds, 'number')
  t.match(await h.app.mirror.statuses(), { default: { ready: true } })
  t.equal(h.app.mirror.isLeader('default'), true, 'this replica holds the sync lease')
  t.equal(h.app.mirror.isLeader('no-such-server'), false, 'a server it does not sync: not the leader')
  // Ready once the pages committed; the run's success is recorded after that, and it is
  // counted and logged after the feed's compaction.
  await until('the run logged', async () => h.logs.some((l) => l.includes('inventory: sync done')))
  t.type((await h.app.mirror.status('default')).lag_seconds, 'number', 'lag counts from the recorded success')
  const metrics = await h.app.inject({ url: '/metrics' })
  t.match(metrics.body, /depgate_inventory_devices\{server="default"\} 1500/)
  t.match(metrics.body, /depgate_inventory_ready\{server="default"\} 1/)
  t.match(metrics.body, /depgate_inventory_leader\{server="default"\} 1/)
  t.match(metrics.body, /depgate_inventory_sync_runs_total\{server="default",result="ok"\} 1/)
  t.match(metrics.body, /depgate_inventory_changes_total\{server="default",op="added"\} 1500/)
})

t.test('a sync on request: waited for, full re-fetches, and changes wake a waiting reader', async (t) => {
  const h = await buildTestApp(t, { env: ON, simulator: { devices: 40 } })
  await h.app.ready()
  const first = await ready(h)
  const sim = h.sim!
  const control = async (method: string, path: string, body?: unknown) => await fetch(`${sim.url}${path}`, { method, headers: { 'content-type': 'application/json' }, body: body === undefined ? undefined : JSON.stringify(body) })

  const waiting = h.app.mirror.waitForChange('default', first.last_seq, 10_000)
  await control('POST', '/_sim/devices', { count: 2 })
  const after = await h.app.mirror.requestSync('default', { wait: true })
  t.equal(await waiting, true, 'the waiting reader woke')
  t.match(after, { device_count: 42, last_seq: first.last_seq + 2, sync_requested_at: null })
  t.equal(await h.app.mirror.waitForChange('default', first.last_seq, 10_000), true, 'changes already there: true at once')
  t.equal(await h.app.mirror.waitForChange('default', after.last_seq, 100), false, 'nothing new: false at the timeout')
  const aborted = new AbortController()
  const pending = h.app.mirror.waitForChange('default', after.last_seq, 10_000, aborted.signal)
  aborted.abort()
  t.equal(await pending, false, 'false on abort')

  const full = await h.app.mirror.requestSync('default', { full: true, wait: true })
  t.match(full, { device_count: 42, last_seq: after.last_seq }, 'a re-fetch of unchanged devices changes nothing')
  t.equal((await h.store.mirror.getState('default'))?.generation, 2)
  t.match(await h.app.mirror.requestSync('default'), { device_count: 42 }, 'without wait the request is only recorded')
  await Promise.all([h.app.mirror.requestSync('default', { wait: true }), h.app.mirror.requestSync('default', { wait: true })])
  t.equal((await h.app.mirror.status('default')).sync_requested_at, null, 'two requests at once queue on one syncer, and both are served')

  // A mirror with no state yet (a server just added, before its first tick) has an empty feed.
  await h.store.mirror.purge('default')
  t.equal(await h.app.mirror.waitForChange('default', 0, 50), false)
  const feed = await h.app.inject({ url: '/v1/servers/default/devices/changes?since=0', headers: h.auth() })
  t.equal(feed.statusCode, 200)
  t.match(feed.json(), { changes: [] })

  // A long poll still waiting when the app closes ends then (it must not hold up a shutdown): were
  // it left to its 10-minute timeout, this test would not finish.
  const polling = h.app.mirror.waitForChange('default', 10_000, 600_000)
  await h.app.close()
  t.equal(await polling, false)
  t.equal(await h.app.mirror.waitForChange('default', 10_000, 600_000), false, 'after the close a wait ends at once')
})

t.test('a failing sync records its error, backs off and recovers', async (t) => {
  const h = await buildTestApp(t, { env: ON, simulator: { devices: 10 } })
  const sim = h.sim!
  await fetch(`${sim.url}/_sim/faults`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ endpoint: 'fetch_devices', kind: 'status', status: 403, code: 'T_C_NOT_SIGNED', times: 2 }) })
  await h.app.ready()
  const failed = await until('an error', async () => { const s = await h.app.mirror.status('default'); return s.last_error !== null && s })
  t.match(failed, { ready: false, last_error: { code: 'T_C_NOT_SIGNED', message: /terms and conditions/ } })
  const failing = await h.app.inject({ url: '/metrics' })
  t.match(failing.body, /depgate_inventory_last_error\{server="default"\} 1/)
  t.notMatch(failing.body, /depgate_inventory_lag_seconds\{/, 'no lag before a first success')
  // Ready once the pages committed; the error is cleared as the run's success is recorded, just after.
  const recovered = await until('recovered', async () => { const s = await ready(h); return s.last_error === null && s })
  t.match(recovered, { last_error: null, device_count: 10 })
  t.ok(h.logs.some((l) => l.includes('inventory: sync failed')), 'the failure is logged')
  const metrics = await h.app.inject({ url: '/metrics' })
  t.match(metrics.body, /depgate_inventory_sync_runs_total\{server="default",result="error"\} [12]/)
})

t.test('replicas on one database: one leads, the other takes over when it leaves; a deleted server loses its mirror', async (t) => {
  // One clock for both replicas and the store (lease expiry): nothing runs until the test moves it.
  const clock = new ManualScheduler()
  const h = await buildTestApp(t, { env: ON, simulator: { devices: 30 }, scheduler: clock })
  await h.app.ready()
  await clock.advance(0)
  await ready(h)
  const names = ['default']
  const warnings: string[] = []
  let reloads = 0
  const follower = new Mirror({
    repo: h.store.mirror,
    servers: {
      names: () => names,
      client: (name) => h.app.depServers.get(name).client,
      reload: async () => { if (reloads++ === 0) throw new Error('database unreachable') }
    },
    enabled: true,
    intervalMs: 60_000,
    fullSyncMinIntervalMs: 600_000,
    leaseMs: 300,
    retryBaseMs: 100,
    pollMs: 50,
    log: { info () {}, warn (_obj, msg) { warnings.push(msg) } },
    describeError: () => ({ code: 'X', message: 'x', status: 502 }),
    scheduler: clock
  })
  t.teardown(() => follower.stop())
  await follower.start()
  t.same(warnings, ['inventory: could not reload the server list'], 'a failed reload is logged and retried')
  // A third of its lease later the reload is retried; the new syncer's first tick runs at once and finds the lease held.
  await clock.advance(100)
  await until('the follower syncer', async () => reloads > 1 || undefined)
  t.match(await follower.status('default'), { leader: false, ready: true }, 'the follower sees the mirror but does not lead')
  t.equal((await h.app.mirror.status('default')).leader, true)

  // A request through the follower is served by the leader; the follower waits by reading the state.
  await fetch(`${h.sim!.url}/_sim/devices`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ count: 1 }) })
  // The leader serves at its next tick; the follower's polls run on the same clock meanwhile.
  const served = await clock.settle(follower.requestSync('default', { wait: true }))
  t.match(served, { leader: false, sync_requested_at: null, device_count: 31 }, 'served by the leader')

  await h.app.close()
  await clock.advance(100)
  const took = await until('takeover', async () => { const s = await follower.status('default'); return s.leader && s })
  t.match(took, { leader: true, ready: true, device_count: 31 })

  // A replica that holds the lease but never serves (hung): a wait ends at its timeout, the request still pending.
  await h.store.mirror.releaseLease('default', follower.owner)
  t.ok(await h.store.mirror.acquireLease('default', 'a hung replica', 60_000))
  t.match(await clock.settle(follower.requestSync('default', { wait: true, timeoutMs: 150 })), { leader: false, sync_requested_at: /T/ })

  t.equal((await h.store.mirror.listStates()).length, 1)
  await h.store.servers.delete('default')
  names.length = 0
  await clock.advance(100)
  await until('purge', async () => (await h.store.mirror.listStates()).length === 0 || undefined)
  t.same(await follower.statuses(), {}, 'no servers, no statuses')
})

t.test('a replica that loses the lease in the middle of a run stops writing', async (t) => {
  const clock = new ManualScheduler()
  const h = await buildTestApp(t, { env: { ...ON, DEPGATE_SYNC_PAGE_SIZE: '50' }, simulator: { devices: 300 }, scheduler: clock })
  const sim = h.sim!
  // Slow pages, so the run is still going when the lease is taken from it.
  await fetch(`${sim.url}/_sim/faults`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ endpoint: 'fetch_devices', kind: 'latency', ms: 300, times: 0 }) })
  await h.app.ready()
  // The first tick: it resolves once the run has ended, however it ended.
  const firstTick = clock.advance(0)
  await until('a first page', async () => ((await h.store.mirror.getState('default'))?.last_seq ?? 0) > 0 || undefined)
  await h.store.mirror.releaseLease('default', h.app.mirror.owner)
  t.ok(await h.store.mirror.acquireLease('default', 'another replica', 60_000))
  await firstTick
  await until('the run to stop', async () => h.logs.some((l) => l.includes('another replica took the sync lease')) || undefined)
  const seq = (await h.store.mirror.getState('default'))!.last_seq
  // A whole lease of ticks later (the other replica's lease runs for a minute), still nothing written.
  await clock.advance(3000)
  t.equal((await h.store.mirror.getState('default'))!.last_seq, seq, 'nothing written after the lease was lost')
  t.match(await h.app.mirror.status('default'), { leader: false, syncing: false })
})

/** An app whose first mirror run is under way, held by Apple answering each fetch page 300 ms late. */
async function aSlowRun (t: Test) {
  const clock = new ManualScheduler()
  const h = await buildTestApp(t, { env: ON, simulator: { devices: 5 }, scheduler: clock })
  await fetch(`${h.sim!.url}/_sim/faults`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ endpoint: 'fetch_devices', kind: 'latency', ms: 300, times: 0 }) })
  await h.app.ready()
  const firstTick = clock.advance(0)
  await until('the run', async () => (await h.app.mirror.status('default')).syncing || undefined)
  return { clock, h, firstTick }
}

t.test('closing the app in the middle of a run ends it: no error recorded, no timer left behind', async (t) => {
  const { clock, h, firstTick } = await aSlowRun(t)
  await h.app.close()
  await firstTick
  t.equal((await h.store.mirror.getState('default'))?.last_error_code, null)
  t.equal(clock.pending, 0)
})

t.test('a run longer than a third of the lease renews the lease as it goes', async (t) => {
  const { clock, h, firstTick } = await aSlowRun(t)
  const taken = Date.parse(String((await h.store.mirror.getState('default'))?.lease_expires_at))
  // A third of the 3-second lease passes while the run waits on Apple: the heartbeat renews it.
  await clock.advance(1000)
  const renewed = Date.parse(String((await h.store.mirror.getState('default'))?.lease_expires_at))
  t.equal(renewed - taken, 1000, 'the lease runs a second longer')
  await firstTick
  t.match(await h.app.mirror.status('default'), { ready: true, leader: true, last_error: null })
})

t.test('a database failure during a tick is logged and retried at the next one', async (t) => {
  const h = await buildTestApp(t, { env: ON, simulator: { devices: 5 }, wrapStore: failFirst('acquireLease', () => new Error('connection reset')) })
  await h.app.ready()
  await ready(h)
  t.ok(h.logs.some((l) => l.includes('inventory: could not check the sync lease')))
})

t.test('a failed compaction is logged on its own: the run still succeeded, and the next one compacts', async (t) => {
  const h = await buildTestApp(t, { env: ON, simulator: { devices: 5 }, wrapStore: failFirst('compactFeed', () => new Error('database is locked')) })
  await h.app.ready()
  await until('the run logged', async () => h.logs.some((l) => l.includes('inventory: sync done')))
  t.ok(h.logs.some((l) => l.includes('inventory: could not compact the change feed')), 'the failure is logged')
  t.match(await h.app.mirror.status('default'), { ready: true, last_error: null }, 'not recorded as the run\'s error')
  const metrics = (await h.app.inject({ url: '/metrics' })).body
  t.match(metrics, /depgate_inventory_sync_runs_total\{server="default",result="ok"\} 1/)
  t.notMatch(metrics, /depgate_inventory_sync_runs_total\{server="default",result="error"\}/)
  t.notMatch(metrics, /depgate_inventory_feed_compacted_total\{/, 'nothing compacted, nothing counted')

  await h.app.mirror.requestSync('default', { wait: true })
  t.match((await h.app.inject({ url: '/metrics' })).body, /depgate_inventory_feed_compacted_total\{server="default",reason="superseded"\} 0/, 'the next run compacts')
})

t.test('a lease lost while compacting stops the run as a lease lost anywhere else', async (t) => {
  const h = await buildTestApp(t, { env: ON, simulator: { devices: 5 }, wrapStore: failFirst('compactFeed', (args) => new LeaseLostError(String(args[0]))) })
  await h.app.ready()
  await until('the loss logged', async () => h.logs.some((l) => l.includes('inventory: another replica took the sync lease')))
  t.notOk(h.logs.some((l) => l.includes('could not compact the change feed')), 'not taken for a failed compaction')
  t.notOk(h.logs.some((l) => l.includes('inventory: sync done')), 'the run stopped there')
  await ready(h)
})

t.test('turned off: nothing syncs, statuses say so', async (t) => {
  const h = await buildTestApp(t, { simulator: { devices: 5 } })
  await h.app.ready()
  t.match(await h.app.mirror.status('default'), { enabled: false, ready: false, phase: null, device_count: 0, leader: false })
  t.equal((await h.store.mirror.listStates()).length, 0)
  const metrics = await h.app.inject({ url: '/metrics' })
  t.notMatch(metrics.body, /depgate_inventory_devices\{/, 'no inventory series')
})
