// @slow: starts and kills two depgate processes from the compiled build on one PostgreSQL schema
/**
 * Two depgate processes on one PostgreSQL schema, one receiver. In the normal case each event is
 * delivered exactly once: only the holder of the delivery lease sends. Then the holder is killed
 * (SIGKILL) while its receiver refuses (503) a backlog: the other process takes the lease over
 * (DEPGATE_WEBHOOK_LEASE=3 s) and delivers all of it, in order; anything received twice came under
 * one webhook-id with the same body. PostgreSQL only: SQLite has one process per data dir.
 */
import { randomBytes } from 'node:crypto'
import t from 'tap'
import { createTestSchema, testDialectFromEnv } from '../databases.js'
import { startSim } from '../dep/sim.js'
import { until } from '../helper.js'
import { mirrorDb } from '../mirror/mirror-kit.js'
import { depgateEnv, startDepgate } from '../processes-kit.js'
import { adminApi, checkReceived, deliveryLeaseOwner, outbox, S } from './process-kit.js'
import { startReceiver } from './receiver.js'

const FIRST = 40
const SECOND = 40

t.test('two replicas on PostgreSQL: each event delivered once by the lease holder; the other takes over when it is killed', { skip: testDialectFromEnv() !== 'postgres' && 'PostgreSQL only (DEPGATE_TEST_DATABASE=postgres)' }, async (t) => {
  const sim = await startSim(t, { devices: 20, seed: 17 })
  const receiver = await startReceiver()
  t.teardown(receiver.close)
  const { url } = await createTestSchema(t)
  const shared = { DEPGATE_DATABASE_URL: url, DEPGATE_SECRET_KEY: randomBytes(32).toString('hex'), DEPGATE_WEBHOOK_LEASE: '3', DEPGATE_WEBHOOK_RETRY_DELAYS: '1' }
  const envA = depgateEnv(t, sim, shared)
  const a = await startDepgate(t, envA)
  const b = await startDepgate(t, depgateEnv(t, sim, { ...shared, DEPGATE_ADMIN_KEY: envA.DEPGATE_ADMIN_KEY! }))
  const db = mirrorDb(t, { databaseUrl: url })
  const api = adminApi(envA.DEPGATE_ADMIN_KEY!, () => a.url)
  await until('the first fetch', async () => (await api('GET', S)).inventory.ready === true, 60_000)
  const hook = await api('POST', '/v1/webhooks', { url: receiver.url('/hook'), events: ['device.added'], servers: ['*'] }) as { id: string, secret: string }

  const addAndSync = async (count: number): Promise<string[]> => {
    const added = (await sim.control<{ devices: Array<{ serial_number: string }> }>('POST', '/_sim/devices', { count })).devices.map((d) => d.serial_number)
    await api('POST', `${S}/sync?wait=true`)
    return added
  }
  const delivered = async () => (await outbox(db, hook.id)).filter((e) => e.status === 'succeeded').length

  const firstBatch = await addAndSync(FIRST)
  await until(`${FIRST} deliveries`, async () => await delivered() === FIRST, 30_000)
  const once = await outbox(db, hook.id)
  t.same(once.map((e) => e.data.serial_number).sort(), [...firstBatch].sort(), 'one device.added per new device')
  t.ok(once.every((e) => e.attempts === 1), 'each delivered in one attempt')
  t.equal(receiver.at('/hook').length, FIRST, `the receiver got ${FIRST} requests: no event sent by both processes`)
  t.equal(checkReceived(t, receiver.at('/hook'), hook.secret, once), 0, 'none answered 2xx twice')

  const owner = (await deliveryLeaseOwner(db))!
  const [leader, follower] = owner.includes(`:${a.child.pid!}:`) ? [a, b] : [b, a]
  t.ok(owner.includes(`:${leader.child.pid!}:`), 'the delivery lease names one of the two processes')

  // A backlog the leader cannot deliver: the receiver refuses until the leader is dead.
  receiver.answers.set('/hook', { status: 503 })
  await addAndSync(SECOND)
  await until('the leader to be refused', async () => receiver.at('/hook').some((r) => r.status === 503), 30_000)
  leader.child.kill('SIGKILL')
  await leader.exited
  receiver.answers.delete('/hook')
  await until(`all ${FIRST + SECOND} delivered by the follower`, async () => await delivered() === FIRST + SECOND, 60_000)
  t.ok((await deliveryLeaseOwner(db))!.includes(`:${follower.child.pid!}:`), 'the follower holds the delivery lease')
  const all = await outbox(db, hook.id)
  t.equal(all.length, FIRST + SECOND, 'one delivery per event in the outbox')
  t.equal(checkReceived(t, receiver.at('/hook'), hook.secret, all), 0, 'no event answered 2xx twice')
  follower.child.kill('SIGTERM')
  await follower.exited
})
