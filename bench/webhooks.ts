/**
 * Webhook delivery, end to end: the simulator and depgate as processes from the build (SQLite),
 * a receiver in this process on 127.0.0.1 that answers 204 at once.
 *
 * 1. Deliveries per second: `events` device.added events queued (that many devices added at the
 *    simulator and synced while the receiver holds its first answer), then drained to the receiver:
 *    time from the release of that answer to the last event's arrival, median of `rounds`.
 *    Baseline, in alternating rounds: the same bodies POSTed by this process with undici, signed
 *    the same way (Standard Webhooks HMAC), one at a time like depgate's per-subscription queue,
 *    to the same receiver: what the HTTP exchange and the signing cost alone, without the outbox
 *    reads and writes around each delivery.
 * 2. Time from a device added at the simulator (control API) to its device.added webhook at the
 *    receiver, median of `rounds`, at DEPGATE_SYNC_INTERVAL=`interval`: the sync interval drives
 *    it (depgate learns of a device at its next sync), then one sync page and one delivery. The
 *    rounds run side by side, each device added at a random moment within one interval. Then the
 *    same with `POST …/sync` right after the add (what a script that knows it changed something
 *    does): the sync call's own duration is the baseline, the ratio what recording and delivering
 *    the event add.
 *
 *   node dist/bench/webhooks.js [events=5000] [rounds=5] [interval=10]
 */
import { createServer } from 'node:http'
import { Agent, request } from 'undici'
import { generateWebhookSecret, signedHeaders } from '../src/events/signing.js'
import { recordFigure } from './figures.js'
import { ADMIN_KEY, startDepgateProcess, startSimulatorProcess, stop } from './processes.js'
import { pause, poll, median } from './rounds.js'

const events = Number(process.argv[2] ?? 5000)
const rounds = Number(process.argv[3] ?? 5)
const interval = Number(process.argv[4] ?? 10)
const S = '/v1/servers/default'
const BENCH = 'webhooks'

async function json (url: string, method: 'GET' | 'POST', body?: unknown, auth = true): Promise<any> {
  const res = await request(url, {
    method,
    headers: { ...(auth ? { authorization: `Bearer ${ADMIN_KEY}` } : {}), ...(body === undefined ? {} : { 'content-type': 'application/json' }) },
    ...(body === undefined ? {} : { body: JSON.stringify(body) })
  })
  const parsed = await res.body.json() as any
  if (res.statusCode >= 300) throw new Error(`${method} ${url}: ${res.statusCode} ${JSON.stringify(parsed)}`)
  return parsed
}

interface Arrival { id: string, serial: string | undefined, at: number, body: string }

/** A receiver that answers 204 at once, keeps when each event arrived, and can hold its next answer. */
async function startReceiver (): Promise<{ url: string, arrivals: Arrival[], holdNext: () => () => void, close: () => Promise<void> }> {
  const arrivals: Arrival[] = []
  let hold: Promise<void> | undefined
  const server = createServer((req, res) => {
    const chunks: Buffer[] = []
    req.on('data', (c: Buffer) => chunks.push(c))
    req.on('end', () => {
      const body = Buffer.concat(chunks).toString('utf8')
      const at = performance.now()
      const parsed = JSON.parse(body) as { data?: { serial_number?: string } }
      arrivals.push({ id: String(req.headers['webhook-id']), serial: parsed.data?.serial_number, at, body })
      const answer = (): void => { res.writeHead(204).end() }
      const held = hold
      hold = undefined
      if (held === undefined) answer()
      else held.then(answer, answer)
    })
  })
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  const { port } = server.address() as { port: number }
  return {
    url: `http://127.0.0.1:${port}/hook`,
    arrivals,
    holdNext () {
      let release!: () => void
      hold = new Promise((resolve) => { release = resolve })
      return release
    },
    close: async () => {
      server.closeAllConnections()
      await new Promise<void>((resolve) => server.close(() => { resolve() }))
    }
  }
}

async function queueDepth (gate: string): Promise<number> {
  const res = await request(`${gate}/metrics`)
  const text = await res.body.text()
  return Number(/^depgate_webhook_queue_depth\{[^}]*\} (\d+)/m.exec(text)?.[1] ?? 0)
}

/** One round through depgate: events queued behind a held answer, then the time to drain them. */
async function depgateRound (sim: string, gate: string, receiver: Awaited<ReturnType<typeof startReceiver>>): Promise<{ seconds: number, bodies: string[] }> {
  const start = receiver.arrivals.length
  const release = receiver.holdNext()
  // One device first: its event is the one held, so every other event queues behind it.
  await json(`${sim}/_sim/devices`, 'POST', { count: 1 }, false)
  await json(`${gate}${S}/sync?wait=true`, 'POST')
  await poll('the held delivery', () => receiver.arrivals.length > start, 30_000, 20)
  await json(`${sim}/_sim/devices`, 'POST', { count: events - 1 }, false)
  await json(`${gate}${S}/sync?wait=true`, 'POST')
  await poll(`${events} queued`, async () => await queueDepth(gate) >= events, 60_000, 100)
  const t0 = performance.now()
  release()
  const last = await poll(`${events} delivered`, () => receiver.arrivals.length >= start + events && receiver.arrivals[start + events - 1], 600_000, 5)
  return { seconds: (last.at - t0) / 1000, bodies: receiver.arrivals.slice(start, start + events).map((a) => a.body) }
}

/** The baseline: the same bodies, signed and POSTed one at a time with undici. */
async function directRound (url: string, secret: string, bodies: string[], agent: Agent): Promise<number> {
  const t0 = performance.now()
  for (const [i, body] of bodies.entries()) {
    const headers = signedHeaders([secret], `msg_direct_${i}`, Math.floor(Date.now() / 1000), body)
    const res = await request(url, { method: 'POST', dispatcher: agent, headers: { 'content-type': 'application/json', 'user-agent': 'bench', ...headers }, body })
    await res.body.dump()
    if (res.statusCode !== 204) throw new Error(`direct POST: ${res.statusCode}`)
  }
  return (performance.now() - t0) / 1000
}

async function throughput (): Promise<void> {
  const sim = await startSimulatorProcess(100)
  const receiver = await startReceiver()
  const gate = await startDepgateProcess(sim.url, { DEPGATE_SYNC_INTERVAL: '86400', DEPGATE_SYNC_PAGE_SIZE: '1000', DEPGATE_FULL_SYNC_MIN_INTERVAL: '0' })
  const agent = new Agent({ connect: { timeout: 5000 } })
  try {
    await poll('the first fetch', async () => (await json(`${gate.url}${S}`, 'GET')).inventory.ready === true, 60_000, 100)
    await json(`${gate.url}/v1/webhooks`, 'POST', { url: receiver.url, events: ['device.added'] })
    const secret = generateWebhookSecret()
    // Warm-up of both sides; its bodies are the baseline's.
    const { bodies } = await depgateRound(sim.url, gate.url, receiver)
    await directRound(receiver.url, secret, bodies, agent)
    const viaDepgate: number[] = []
    const direct: number[] = []
    for (let round = 1; round <= rounds; round++) {
      direct.push(await directRound(receiver.url, secret, bodies, agent))
      viaDepgate.push((await depgateRound(sim.url, gate.url, receiver)).seconds)
      console.log(`round ${round}  direct ${(events / direct.at(-1)!).toFixed(0)} POSTs/s  depgate ${(events / viaDepgate.at(-1)!).toFixed(0)} deliveries/s`)
    }
    const delivered = receiver.arrivals.filter((a) => !a.id.startsWith('msg_direct_'))
    const ids = new Set(delivered.map((a) => a.id))
    if (ids.size !== delivered.length) throw new Error(`${delivered.length - ids.size} events arrived twice`)
    recordFigure({
      bench: BENCH,
      name: `deliveries/s, ${events.toLocaleString('en-US')} device.added events queued then drained to a local receiver (SQLite), median of ${rounds} rounds`,
      value: events / median(viaDepgate),
      unit: 'deliveries/s',
      baseline: { name: 'the same bodies signed and POSTed one at a time with undici', value: events / median(direct) },
      note: `every round: ${viaDepgate.map((s) => (events / s).toFixed(0)).join(', ')} vs ${direct.map((s) => (events / s).toFixed(0)).join(', ')}`
    })
  } finally {
    await agent.close()
    await stop(gate)
    gate.cleanup()
    await receiver.close()
    await stop(sim)
  }
}

/** Time from each device's add at the simulator to its webhook's arrival; `trigger` syncs right after the add. */
async function arrivalTimes (sim: string, gate: string, receiver: Awaited<ReturnType<typeof startReceiver>>, spreadMs: number, trigger: boolean): Promise<{ times: number[], syncs: number[] }> {
  const syncs: number[] = []
  const times = await Promise.all(Array.from({ length: rounds }, async (_, i) => {
    // Triggered rounds one after another (each its own sync); the others spread over an interval.
    await pause(trigger ? i * 2000 : Math.random() * spreadMs)
    const t0 = performance.now()
    const serial = (await json(`${sim}/_sim/devices`, 'POST', { count: 1 }, false)).devices[0].serial_number as string
    if (trigger) {
      const s0 = performance.now()
      await json(`${gate}${S}/sync?wait=true`, 'POST')
      syncs.push(performance.now() - s0)
    }
    const arrival = await poll(`${serial}'s webhook`, () => receiver.arrivals.find((a) => a.serial === serial), spreadMs * 2 + 60_000, 5)
    return arrival.at - t0
  }))
  return { times, syncs }
}

async function latency (): Promise<void> {
  const sim = await startSimulatorProcess(100)
  const receiver = await startReceiver()
  const gate = await startDepgateProcess(sim.url, { DEPGATE_SYNC_INTERVAL: String(interval) })
  try {
    await poll('the first fetch', async () => (await json(`${gate.url}${S}`, 'GET')).inventory.ready === true, 60_000, 100)
    await json(`${gate.url}/v1/webhooks`, 'POST', { url: receiver.url, events: ['device.added'] })
    const periodic = await arrivalTimes(sim.url, gate.url, receiver, interval * 1000, false)
    const m = median(periodic.times) / 1000
    recordFigure({
      bench: BENCH,
      name: `device added at the simulator to its device.added webhook, DEPGATE_SYNC_INTERVAL=${interval}, median of ${rounds}`,
      value: m,
      unit: 's',
      baseline: { name: 'the sync interval', value: interval },
      target: '≤ one interval',
      met: m <= interval,
      note: `each added at a random moment of the sync cycle; every round: ${periodic.times.map((x) => (x / 1000).toFixed(2)).join(', ')} s`
    })
    const triggered = await arrivalTimes(sim.url, gate.url, receiver, 0, true)
    recordFigure({
      bench: BENCH,
      name: `device added, then POST …/sync?wait=true, to its device.added webhook, median of ${rounds}`,
      value: median(triggered.times),
      unit: 'ms',
      baseline: { name: 'the add and the sync call alone', value: median(triggered.syncs) },
      note: `every round: ${triggered.times.map((x) => x.toFixed(0)).join(', ')} ms`
    })
  } finally {
    await stop(gate)
    gate.cleanup()
    await receiver.close()
    await stop(sim)
  }
}

if (events > 0) await throughput()
await latency()
