/**
 * Sync requests cost Apple calls: a full fetch at most every DEPGATE_FULL_SYNC_MIN_INTERVAL
 * (429 with Retry-After before that, admin force=true excepted), and a burst of requests merged
 * into at most one more run. The mirror's clock is moved instead of waiting; Apple is the simulator
 * over real HTTP, whose request counts tell how many fetches ran.
 */
import t from 'tap'
import { ManualScheduler } from '../../../../../src/scheduler.js'
import { buildTestApp, until, untilReady } from '../../../../helper.js'

const S = '/v1/servers/default'

t.test('full fetches have a floor; concurrent requests are merged', async (t) => {
  // Background ticks run only when the test moves this clock; requests trigger their runs themselves.
  const clock = new ManualScheduler()
  const m = await buildTestApp(t, { env: { DEPGATE_MIRROR: 'true' }, simulator: { devices: 5 }, scheduler: clock })
  const sim = m.sim?.app
  if (sim === undefined) throw new Error('no simulator')
  await m.app.ready()
  // The syncer's first tick: the first full fetch.
  await clock.advance(0)
  await untilReady(m.app)
  const writeKey = await m.createKey('write')
  const sync = async (query: string, key?: string) => await m.app.inject({ method: 'POST', url: `${S}/sync${query}`, headers: m.auth(key) })
  const requests = async (): Promise<Record<string, number>> => (await sim.inject({ url: '/_sim/stats' })).json().requests
  await sim.inject({ method: 'POST', url: '/_sim/stats/reset' })

  // The first full fetch has just run: another one waits out the interval.
  const early = await sync('?full=true&wait=true')
  t.equal(early.statusCode, 429)
  t.equal(early.headers['content-type'], 'application/problem+json; charset=utf-8')
  t.match(early.json(), { code: 'FULL_SYNC_TOO_SOON', detail: /DEPGATE_FULL_SYNC_MIN_INTERVAL/ })
  const retryAfter = Number(early.headers['retry-after'])
  t.ok(retryAfter > 500 && retryAfter <= 600, `Retry-After ${retryAfter} is the seconds left of 10 minutes`)
  t.equal(early.json().retry_after_seconds, retryAfter)

  // Only an admin may force one; a write key that tries is refused whatever the timing.
  const writeForce = await sync('?full=true&force=true', writeKey)
  t.equal(writeForce.statusCode, 403)
  t.match(writeForce.json(), { code: 'INSUFFICIENT_SCOPE', detail: /admin/ })
  // An incremental sync is never held back.
  t.equal((await sync('?wait=true', writeKey)).statusCode, 200)
  t.equal((await requests()).fetch_devices, 0, 'no full fetch ran')

  const forced = await sync('?full=true&force=true&wait=true')
  t.equal(forced.statusCode, 200)
  t.equal((await requests()).fetch_devices, 1, 'the forced full fetch ran')
  // The forced fetch restarted the interval.
  t.equal((await sync('?full=true')).statusCode, 429)

  // Ten minutes later on the mirror's clock a full fetch may start again.
  await clock.advance(600_000)
  t.equal((await sync('?full=true&wait=true', writeKey)).statusCode, 200)
  t.equal((await requests()).fetch_devices, 2)

  t.test('a full request joins one already requested', async (t) => {
    await clock.advance(600_000)
    // Another replica holds the lease: requests stay pending here until it lets go.
    await m.store.mirror.releaseLease('default', m.app.mirror.owner)
    t.ok(await m.store.mirror.acquireLease('default', 'other-replica', 60_000))
    t.equal((await sync('?full=true')).statusCode, 202)
    const joined = await sync('?full=true', writeKey)
    t.equal(joined.statusCode, 202, 'merged into the pending full fetch, not refused')
    await m.store.mirror.releaseLease('default', 'other-replica')
    // This replica's next lease tick (a third of the lease away) takes the lease and runs the request.
    await clock.advance(10_000)
    t.equal((await requests()).fetch_devices, 3, 'both requests ran as one full fetch')
  })

  t.test('concurrent requests cause at most two runs', async (t) => {
    await sim.inject({ method: 'POST', url: '/_sim/stats/reset' })
    const answers = await Promise.all(Array.from({ length: 12 }, async () => await sync('')))
    t.same(answers.map((a) => a.statusCode), Array(12).fill(202))
    await until('the requests are served', async () => {
      const s = (await m.app.inject({ url: S, headers: m.auth() })).json().inventory
      return s.sync_requested_at === null && !s.syncing
    })
    const runs = (await requests()).sync_devices
    t.ok(runs >= 1 && runs <= 2, `${runs} runs for 12 requests`)
  })
})
