/**
 * Live lists (`source=apple`) of one server share one drain of Apple's fetch: over real HTTP
 * against the simulator, Apple is asked for each page once however many callers read, every
 * caller gets the whole list, the slowest reader paces the drain, a stalled one is cut off without
 * holding the others, a late caller waits for the next drain, and a failure reaches every reader.
 */
import type { AddressInfo } from 'node:net'
import t, { type Test } from 'tap'
import { request } from 'undici'
import { buildTestApp, type TestApp } from '../../../../helper.js'

/** Timers that fire only when told to (the whole-list idle timers). */
function handTimers () {
  const armed = new Set<{ fn: () => void }>()
  return {
    timers: {
      setTimeout: (fn: () => void) => { const h = { fn }; armed.add(h); return h },
      clearTimeout: (h: unknown) => { armed.delete(h as { fn: () => void }) }
    },
    fireAll: () => { for (const h of [...armed]) { armed.delete(h); h.fn() } }
  }
}

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
  return { h, sim, clock, list, drain }
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
