/**
 * Live lists (`source=apple`) of one server share one drain of Apple's fetch: over real HTTP
 * against the simulator, Apple is asked for each page once however many callers read, every
 * caller gets the whole list, the slowest reader paces the drain, a stalled one is cut off without
 * holding the others, a late caller waits for the next drain, and a failure reaches every reader.
 */
import type { AddressInfo } from 'node:net'
import t, { type Test } from 'tap'
import { request } from 'undici'
import { buildTestApp, until, type TestApp } from '../../../../helper.js'
import { handTimers } from '../../../../hand-timers.js'

interface Reading {
  status: number
  /** Parsed NDJSON lines (devices, then the trailer or an error line) as they arrive. */
  lines: any[]
  /** The body as text (JSON and CSV forms). */
  text: string
  /** Resolves when the body ended (or was cut: `error`). */
  done: Promise<unknown>
  /** Starts reading a body left unread. */
  read: () => void
}

async function start (t: Test, opts: { devices: number, bufferPages?: number }) {
  const clock = handTimers()
  const h = await buildTestApp(t, {
    simulator: { devices: opts.devices },
    streamTimers: clock.timers,
    ...(opts.bufferPages === undefined ? {} : { drainBufferPages: opts.bufferPages })
  })
  await h.app.listen({ port: 0, host: '127.0.0.1' })
  const url = `http://127.0.0.1:${(h.app.server.address() as AddressInfo).port}/v1/servers/default/devices?source=apple`
  const sim = (h.sim as NonNullable<TestApp['sim']>).app.sim
  // A key has at most 4 whole lists open: callers use one key each.
  const keys = [await h.createKey('read', 'caller 0'), await h.createKey('read', 'caller 1'), await h.createKey('read', 'caller 2')]
  const drain = () => [...h.app.streamLimits.drains.state().values()][0]

  /** A list request; its body is read at once unless `paused`. */
  async function list (caller: number, accept = 'application/x-ndjson', paused = false): Promise<Reading> {
    const res = await request(url, { headers: { ...h.auth(keys[caller]), accept } })
    const reading: Reading = { status: res.statusCode, lines: [], text: '', done: Promise.resolve(), read: () => {} }
    let partial = ''
    let resolveDone: (v: unknown) => void = () => {}
    reading.done = new Promise((resolve) => { resolveDone = resolve })
    reading.read = () => {
      (async () => {
        for await (const chunk of res.body) {
          const text = String(chunk)
          reading.text += text
          partial += text
          if (!accept.includes('ndjson')) continue
          const complete = partial.split('\n')
          partial = complete.pop() as string
          for (const line of complete) reading.lines.push(JSON.parse(line))
        }
      })().then(() => resolveDone(undefined), (err: unknown) => resolveDone(err))
    }
    if (!paused) reading.read()
    return reading
  }
  return { h, sim, clock, list, drain, url, keys }
}

const serials = (lines: any[]): string[] => lines.filter((l) => typeof l.serial_number === 'string').map((l) => l.serial_number)

t.test('five callers at once: one drain at Apple, the same whole list for each', async (t) => {
  const { sim, list, drain } = await start(t, { devices: 3000 })
  const truth = sim.world.fetchSlice(0, sim.world.orderLength, 3000).devices.map((d) => d.serial_number)
  sim.resetStats()
  // The first page takes a while, so all five are in before it arrives.
  sim.faults.add({ endpoint: 'fetch_devices', kind: 'latency', ms: 400, times: 1 })
  const readings = await Promise.all([list(0), list(1), list(2, 'application/json'), list(0, 'application/json'), list(1, 'text/csv')])
  const ended = await Promise.all(readings.map(async (r) => await r.done))
  t.same(ended, [undefined, undefined, undefined, undefined, undefined], 'every body ended normally')
  t.same(readings.map((r) => r.status), [200, 200, 200, 200, 200])
  t.equal(sim.stats().requests.fetch_devices, 3, 'Apple was asked for each of the 3 pages once')
  for (const r of readings.slice(0, 2)) {
    t.same(serials(r.lines), truth, 'NDJSON: every device once, in Apple\'s order')
    t.match(r.lines.at(-1), { count: 3000, cursor: String })
  }
  const [a, b] = readings.slice(2, 4).map((r) => JSON.parse(r.text))
  t.same(a, b, 'the two JSON documents are identical')
  t.same(a.devices.map((d: any) => d.serial_number), truth)
  t.equal(readings[1].lines.at(-1).cursor, a.cursor, 'one drain: one cursor')
  const csv = readings[4].text.trim().split('\n')
  t.equal(csv.length, 3001, 'CSV: the header and every device')
  t.equal(drain(), undefined, 'no drain runs once they are done')
})

/**
 * Until the drain waits for a reader other than `fast`: `fast` has every device fetched so far and
 * the drain's page count stays the same over consecutive looks. Resolves to that page count.
 */
async function blockedOn (drain: () => { pages: number, waitingForRoom: boolean } | undefined, fast: Reading): Promise<number> {
  let seen = -1
  let times = 0
  return await until('the drain to wait for the slow reader', async () => {
    const d = drain()
    if (d === undefined || !d.waitingForRoom || serials(fast.lines).length !== d.pages * 1000) return false
    times = d.pages === seen ? times + 1 : 0
    seen = d.pages
    return times >= 3 && d.pages
  }, 60_000)
}

t.test('the slowest reader paces the drain; a stalled one is cut off and no longer holds the others', async (t) => {
  const FLEET = 20_000
  const PAGES = FLEET / 1000
  const { sim, list, drain, clock } = await start(t, { devices: FLEET, bufferPages: 1 })
  const truth = sim.world.fetchSlice(0, sim.world.orderLength, FLEET).devices.map((d) => d.serial_number)

  sim.resetStats()
  sim.faults.add({ endpoint: 'fetch_devices', kind: 'latency', ms: 400, times: 1 })
  const [slow, fast] = await Promise.all([list(0, 'application/x-ndjson', true), list(1)])
  const pages = await blockedOn(drain, fast)
  t.ok(pages < PAGES, `the drain stopped at page ${pages} of ${PAGES} while the slow reader read nothing`)
  t.ok(sim.stats().requests.fetch_devices < PAGES, 'and Apple was not asked for the rest')
  slow.read()
  t.same(await Promise.all([slow.done, fast.done]), [undefined, undefined])
  t.same(serials(slow.lines), truth, 'once it reads, the slow reader gets every device')
  t.same(serials(fast.lines), truth, 'and so does the fast one')
  t.equal(sim.stats().requests.fetch_devices, PAGES, 'one drain for both')

  sim.resetStats()
  sim.faults.add({ endpoint: 'fetch_devices', kind: 'latency', ms: 400, times: 1 })
  const [stalled, reader] = await Promise.all([list(0, 'application/x-ndjson', true), list(1)])
  t.ok(await blockedOn(drain, reader) < PAGES, 'a stalled reader holds the drain')
  // The reader that reads waits for the drain, so its idle timer is not armed: only the stalled one's fire.
  clock.fireAll()
  t.equal(await reader.done, undefined)
  t.same(serials(reader.lines), truth, 'once the stalled one is cut off, the other gets every device')
  t.match(reader.lines.at(-1), { count: FLEET })
  stalled.read()
  t.type(await stalled.done, Error, 'the stalled reader\'s answer was cut off')
  t.equal(sim.stats().requests.fetch_devices, PAGES)
  t.equal(drain(), undefined)
})

t.test('a caller arriving after the first page waits for the current drain and shares the next', async (t) => {
  const { h, sim, list, drain, url, keys } = await start(t, { devices: 3000 })
  const truth = sim.world.fetchSlice(0, sim.world.orderLength, 3000).devices.map((d) => d.serial_number)
  sim.resetStats()
  sim.faults.add({ endpoint: 'fetch_devices', kind: 'latency', ms: 300, times: 0 })
  const first = list(0)
  await until('the drain to pass its first page', async () => (drain()?.pages ?? 0) >= 2)
  const late = [list(1), list(2, 'application/json')]
  // One more, who hangs up while it waits: it leaves without holding anything.
  const hangUp = new AbortController()
  const gone = request(url, { headers: { ...h.auth(keys[1]) }, signal: hangUp.signal }).catch((err: unknown) => err)
  await until('the three late callers to wait', async () => drain()?.waiting === 3)
  hangUp.abort()
  t.type(await gone, Error)
  await until('the one that hung up to leave', async () => drain()?.waiting === 2)
  t.ok(sim.stats().requests.fetch_devices <= 3, 'the first drain is still running: nothing started for them')
  const [a, b, c] = await Promise.all([first, ...late])
  await Promise.all([a.done, b.done, c.done])
  t.same(serials(a.lines), truth, 'the first caller gets every device')
  t.same(serials(b.lines), truth, 'so do the late ones, from the next drain')
  t.same(JSON.parse(c.text).devices.map((d: any) => d.serial_number), truth)
  t.equal(sim.stats().requests.fetch_devices, 6, 'two drains of three pages: one for the first caller, one shared by the late ones')
  sim.faults.clear()
})

t.test('a failure midway reaches every reader', async (t) => {
  const { sim, list, drain } = await start(t, { devices: 4000 })
  sim.faults.add({ endpoint: 'fetch_devices', kind: 'latency', ms: 300, times: 0 })
  const readings = [list(0), list(1), list(2, 'application/json')]
  await until('all three to read the first page', async () => drain()?.readers === 3 && (drain()?.pages ?? 0) >= 1)
  sim.faults.add({ endpoint: 'fetch_devices', kind: 'status', status: 500, times: 0 })
  const [a, b, c] = await Promise.all(readings)
  const ended = await Promise.all([a.done, b.done, c.done])
  t.same([a.status, b.status, c.status], [200, 200, 200])
  for (const err of ended) t.type(err, Error, 'every answer is cut off')
  for (const r of [a, b]) t.match(r.lines.at(-1), { error: { status: 502, code: 'UPSTREAM_ERROR' } }, 'NDJSON: the error line')
  const got = serials(a.lines)
  t.ok(got.length > 0 && got.length < 4000, `some devices before the failure (${got.length})`)
  t.same(serials(b.lines), got, 'the same devices for each reader')
  t.match(c.text, /\],"error":\{.*"code":"UPSTREAM_ERROR"/, 'JSON: the error field')
  sim.faults.clear()
})
