/**
 * Two replicas on one PostgreSQL database: only the engine of the replica holding the server's
 * sync lease sends; when that replica leaves, the other takes the lease over and sends what is
 * left.
 */
import t from 'tap'
import { AssignmentEngine } from '../../src/enrollment/engine.js'
import { Mirror } from '../../src/mirror/mirror.js'
import { ManualScheduler } from '../../src/scheduler.js'
import { openTestStore } from '../databases.js'
import { engineApp, untilReady } from './engine-app.js'

const HOUR = 3_600_000

t.test('exactly one engine sends: the lease holder\'s; the other takes over when it leaves', async (t) => {
  const clock = new ManualScheduler()
  const h = await engineApp(t, { scheduler: clock, dialect: 'postgres' })
  await h.app.ready()
  await clock.advance(0)
  await untilReady(h.app)
  const uuid = await h.profile('macs')
  await h.rules([{ name: 'rep', match: { serial_prefix: 'REP' }, profile: 'macs' }])

  // The second replica: its own store on the same database, its own mirror and engine.
  const store = await openTestStore(t, 'postgres', { database: h.database, now: () => new Date(clock.now()) })
  const logs: string[] = []
  const log = { info (_o: object, msg: string) { logs.push(msg) }, warn (_o: object, msg: string) { logs.push(msg) } }
  const servers = { names: () => ['default'], client: (name: string) => h.app.depServers.get(name).client }
  const follower = new Mirror({
    repo: store.mirror,
    servers: { ...servers, reload: async () => {} },
    enabled: true,
    intervalMs: 86_400_000,
    fullSyncMinIntervalMs: 0,
    leaseMs: 600_000,
    retryBaseMs: 100,
    pollMs: 50,
    log,
    describeError: () => ({ code: 'X', message: 'x', status: 502 }),
    scheduler: clock
  })
  const reflected: string[] = []
  const engine = new AssignmentEngine({
    repo: store.assignments,
    enrollment: store.enrollment,
    lease: { owner: follower.owner, isLeader: (server) => follower.isLeader(server) },
    servers,
    reflect: async (_server, _uuid, serials) => { reflected.push(...serials) },
    scheduler: clock,
    giveUpMs: 7 * 24 * HOUR,
    recheckMs: 600_000,
    log,
    describeError: () => 'x',
    dueBatch: 1
  })
  follower.onPage((server) => { engine.kick(server) })
  t.teardown(async () => { await follower.stop() })
  follower.beforeStop(async () => { await engine.stop() })
  await follower.start()
  engine.start()
  await clock.advance(0)
  t.equal(follower.isLeader('default'), false, 'the app\'s replica leads')

  await h.addDevices([{ serial_number: 'REPA00000001' }, { serial_number: 'REPA00000002' }])
  await h.sync()
  await h.untilStatus('REPA00000002', 'succeeded')
  await h.untilStatus('REPA00000001', 'succeeded')
  await Promise.all([engine.kick('default'), engine.kick('default')])
  t.equal(await h.assignCalls(), 1, 'one call, from the leader only')
  t.same(reflected, [])

  // Two devices throttled at the leader; then it leaves and the follower takes the lease.
  await h.simCall('PATCH', '/_sim/config', { throttleSerials: ['REPB00000001', 'REPB00000002'], throttleRetryAfterSec: 60 })
  await h.addDevices([{ serial_number: 'REPB00000001' }, { serial_number: 'REPB00000002' }])
  await h.sync()
  await h.untilStatus('REPB00000002', 'throttled')
  t.equal(await h.assignCalls(), 2)
  await h.simCall('PATCH', '/_sim/config', { throttleSerials: [] })
  await h.app.close()
  await clock.advance(200_000)
  await h.until('the takeover', async () => follower.isLeader('default') || undefined)
  await clock.advance(600_000)
  await h.until('the follower\'s sends', async () => reflected.length === 2 || undefined)
  t.same(reflected.sort(), ['REPB00000001', 'REPB00000002'], 'the new leader sent what was left, one serial per pass (dueBatch 1)')
  t.equal(await h.assignCalls(), 4)
  const rows = await store.assignments.list('default', { limit: 10 })
  t.same(rows.map((r) => [r.serial_number, r.status, r.profile_uuid]), [
    ['REPA00000001', 'succeeded', uuid], ['REPA00000002', 'succeeded', uuid], ['REPB00000001', 'succeeded', uuid], ['REPB00000002', 'succeeded', uuid]
  ])
})
