/**
 * The change feed's long poll and callers that hang up: whether they leave during the wait or
 * before it began (while the route was still reading the feed), the wait ends at once instead of
 * holding its timer and listener for up to 60 s.
 */
import type { FastifyInstance } from 'fastify'
import t from 'tap'
import { request } from 'undici'
import type { Store } from '../../../../../src/store/index.js'
import { buildTestApp, until, untilReady } from '../../../../helper.js'

const S = '/v1/servers/default'

/** Starts the app on a loopback port and records the abort signal of every long-poll wait it begins. */
async function listenRecordingWaits (app: FastifyInstance): Promise<{ url: string, waits: AbortSignal[] }> {
  const waits: AbortSignal[] = []
  const mirror = app.mirror
  const waitForChange = mirror.waitForChange.bind(mirror)
  mirror.waitForChange = async (server, since, ms, signal) => {
    if (signal !== undefined) waits.push(signal)
    return await waitForChange(server, since, ms, signal)
  }
  return { url: await app.listen({ host: '127.0.0.1', port: 0 }), waits }
}

t.test('a caller that hangs up before the wait begins does not leave a wait behind', async (t) => {
  let entered: () => void = () => {}
  const reading = new Promise<void>((resolve) => { entered = resolve })
  let release: () => void = () => {}
  const held = new Promise<void>((resolve) => { release = resolve })
  let hold = false
  // The feed read waits for the test, so the caller can leave before the route starts its wait.
  const wrapStore = (store: Store): Store => ({
    ...store,
    mirror: {
      ...store.mirror,
      async changesSince (server, since, limit) {
        if (hold) {
          entered()
          await held
        }
        return await store.mirror.changesSince(server, since, limit)
      }
    }
  })
  const m = await buildTestApp(t, { env: { DEPGATE_MIRROR: 'true' }, simulator: { devices: 3 }, wrapStore })
  await m.app.ready()
  await untilReady(m.app)
  const { url, waits } = await listenRecordingWaits(m.app)

  hold = true
  const caller = new AbortController()
  const poll = request(`${url}${S}/devices/changes?since=3&wait=60`, { headers: m.auth(), signal: caller.signal })
  await reading
  caller.abort()
  await t.rejects(poll)
  const connections = async (): Promise<number> => await new Promise((resolve, reject) => { m.app.server.getConnections((err, n) => { if (err === null) resolve(n); else reject(err) }) })
  await until('the server saw the caller leave', async () => await connections() === 0)
  hold = false
  release()
  await until('the route reached its wait', async () => waits.length > 0)
  t.equal(waits[0].aborted, true, 'the wait starts already ended')
})

t.test('a caller that hangs up during a long poll ends the wait', async (t) => {
  const m = await buildTestApp(t, { env: { DEPGATE_MIRROR: 'true' }, simulator: { devices: 5 } })
  await m.app.ready()
  await untilReady(m.app)
  const { url, waits } = await listenRecordingWaits(m.app)
  const caller = new AbortController()
  const poll = request(`${url}${S}/devices/changes?since=5&wait=60`, { headers: m.auth(), signal: caller.signal })
  await until('the route is waiting', async () => waits.length > 0)
  t.equal(waits[0].aborted, false)
  caller.abort()
  await t.rejects(poll)
  await until('the wait ended with the caller', async () => waits[0].aborted)
  const after = await request(`${url}${S}/devices/changes?since=0&limit=1`, { headers: m.auth() })
  t.match(await after.body.json(), { count: 1, more: true }, 'the app serves on')
})
