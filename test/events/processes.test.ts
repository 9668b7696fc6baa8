// @slow: starts and kills depgate processes from the compiled build
/**
 * SIGKILL between commit and delivery: depgate (a real process, SQLite in its data dir) commits
 * device events for a subscription whose receiver answers 503, so they sit in the outbox, tried
 * and not delivered; it is killed; the receiver comes back; depgate restarts on the same data dir
 * and delivers every event the outbox held at the kill, in order, signed, and nothing else (a
 * repeat only under the same webhook-id). The retry schedule is 1 s (DEPGATE_WEBHOOK_RETRY_DELAYS):
 * the restarted process meets the receiver's return within a second, not at the built-in 5 min.
 */
import t from 'tap'
import { startSim } from '../dep/sim.js'
import { until } from '../helper.js'
import { mirrorDb } from '../mirror/mirror-kit.js'
import { depgateEnv, startDepgate } from '../processes-kit.js'
import { adminApi, checkReceived, outbox, S } from './process-kit.js'
import { startReceiver } from './receiver.js'

const ADDED = 30

t.test('SIGKILL with events committed but undelivered, then restart: every committed event delivered, none invented', async (t) => {
  const sim = await startSim(t, { devices: 20, seed: 16 })
  const receiver = await startReceiver()
  t.teardown(receiver.close)
  receiver.answers.set('/hook', { status: 503, body: 'down for maintenance' })
  const env = depgateEnv(t, sim, { DEPGATE_WEBHOOK_RETRY_DELAYS: '1' })
  const db = mirrorDb(t, { dataDir: env.DEPGATE_DATA_DIR! })
  let base = ''
  const api = adminApi(env.DEPGATE_ADMIN_KEY!, () => base)

  const first = await startDepgate(t, env)
  base = first.url
  await until('the first fetch', async () => (await api('GET', S)).inventory.ready === true, 60_000)
  const hook = await api('POST', '/v1/webhooks', { url: receiver.url('/hook'), events: ['*'], servers: ['*'] }) as { id: string, secret: string }
  const since = (await api('GET', S)).inventory.last_seq as number
  const added = ((await sim.control<{ devices: Array<{ serial_number: string }> }>('POST', '/_sim/devices', { count: ADDED })).devices).map((d) => d.serial_number)
  await api('POST', `${S}/sync?wait=true`)
  // Committed and being retried: the head of the queue was refused twice (two attempts a second apart).
  await until('two refused attempts', async () => receiver.at('/hook').filter((r) => r.status === 503).length >= 2, 30_000)
  first.child.kill('SIGKILL')
  await first.exited

  const committed = await outbox(db, hook.id)
  const devices = committed.filter((e) => e.type === 'device.added')
  t.same(devices.map((e) => e.data.serial_number).sort(), [...added].sort(), `the outbox held a device.added for each of the ${ADDED} devices at the kill`)
  t.ok(committed.every((e) => e.status === 'pending'), 'none of them delivered')
  // The second refusal's outcome may not have been written before the kill; the first's was, before the second try.
  t.ok(committed[0]!.attempts >= 1, `the first tried and refused (${committed[0]!.attempts} attempts recorded)`)

  receiver.answers.delete('/hook')
  const second = await startDepgate(t, env)
  base = second.url
  await until('every delivery to succeed', async () => (await outbox(db, hook.id)).every((e) => e.status === 'succeeded'), 60_000)
  const delivered = await outbox(db, hook.id)
  t.same(delivered.slice(0, committed.length).map((e) => e.id), committed.map((e) => e.id), 'the outbox kept what was committed')
  // Before the kill every request was refused: the restarted process has no reason to send one twice.
  t.equal(checkReceived(t, receiver.at('/hook'), hook.secret, delivered), 0, 'no event sent again after its 2xx')

  // The change feed names the same devices with the same sequence numbers as the events.
  const feed = await api('GET', `${S}/devices/changes?since=${since}`) as { changes: Array<{ seq: number, op: string, serial_number: string }> }
  t.same(devices.map((e) => [e.data.seq, e.data.serial_number]), feed.changes.filter((c) => c.op === 'added').map((c) => [c.seq, c.serial_number]),
    'each device.added carries its change feed entry\'s seq, in the feed\'s order')
  second.child.kill('SIGTERM')
  await second.exited
})
