/**
 * The long version of test/load: 200 concurrent clients mixing reads and writes against depgate
 * (child process, in front of the simulator, also a child) for a while without faults (baseline),
 * then as long again while the simulator faults about 5 % of its calls: before that run the bench
 * installs one unlimited `*` fault per kind below, each with `share = fault% / kinds`, so every
 * Apple call (depgate's retries included) has the same steady chance of a fault, drawn by the
 * simulator per call; they are cleared after the run. Records throughput, p99, the share of
 * errors, undocumented 5xx (target 0) and depgate's RSS growth across the faulted run.
 *
 * What a latency fault costs: the simulator holds the answer for `ms`, so the call keeps one of
 * depgate's 8 upstream connections (its undici pool) for that long and the calls behind it queue.
 * At ~1,000 Apple calls/s and 5 % / 8 kinds, about 6 calls/s are delayed; 2 s each would want
 * 12.5 connections at once — the whole pool — and the run would measure pool exhaustion.
 *
 *   npx tsc -p bench/tsconfig.json && node dist/bench/load.js [clients=200] [seconds=20] [fault%=5]
 */
import { Agent, request } from 'undici'
import { recordFigure } from './figures.js'
import { ADMIN_KEY, procMiB, startDepgateProcess, startSimulatorProcess, stop } from './processes.js'

const clients = Number(process.argv[2] ?? 200)
const seconds = Number(process.argv[3] ?? 20)
const faultRate = Number(process.argv[4] ?? 5) / 100
const DOCUMENTED = new Set(['502 UPSTREAM_ERROR', '502 UPSTREAM_UNREACHABLE', '502 UPSTREAM_INVALID_RESPONSE', '503 UPSTREAM_THROTTLED', '504 UPSTREAM_TIMEOUT'])
// 500 ms: a slow Apple answer well under depgate's 30 s timeouts; ~6/s × 0.5 s ≈ 3 of 8 connections held on average, so the pool is strained, not exhausted
const LATENCY_MS = 500
const KINDS = [
  { kind: 'status', status: 500 }, { kind: 'status', status: 502 }, { kind: 'status', status: 503 },
  { kind: 'status', status: 429, retryAfter: 0 }, { kind: 'drop' }, { kind: 'truncate' }, { kind: 'content_type' },
  { kind: 'latency', ms: LATENCY_MS }
]

interface Run { requests: number, rps: number, p99: number, errors: number, undocumented: number, rssGrowth: number }

const sim = await startSimulatorProcess(200)
const gate = await startDepgateProcess(sim.url, { DEPGATE_LOG_LEVEL: 'warn', DEPGATE_INVENTORY: 'false' })
const auth = { authorization: `Bearer ${ADMIN_KEY}` }
const agent = new Agent({ connections: clients })
const S = '/v1/servers/default'

async function simControl (method: string, path: string, body?: unknown): Promise<any> {
  const res = await request(`${sim.url}${path}`, { method: method as 'GET', headers: { 'content-type': 'application/json' }, body: body === undefined ? undefined : JSON.stringify(body) })
  return await res.body.json()
}

const serials: string[] = ((await simControl('GET', '/_sim/devices')).devices as Array<{ serial_number: string }>).map((d) => d.serial_number)
const defined = await request(`${gate.url}${S}/profiles`, { method: 'POST', headers: { ...auth, 'content-type': 'application/json' }, body: JSON.stringify({ profile_name: 'load', url: 'https://mdm.example.com/enroll' }) })
const uuid = (await defined.body.json() as { profile_uuid: string }).profile_uuid
const MIX = [
  () => ({ method: 'GET', path: `${S}/account` }),
  (i: number) => ({ method: 'GET', path: `${S}/devices/${serials[i % serials.length]}` }),
  (i: number) => ({ method: 'POST', path: `${S}/devices/details`, body: { serials: [serials[i % serials.length]] } }),
  () => ({ method: 'GET', path: `${S}/profiles/${uuid}` }),
  (i: number) => ({ method: 'PUT', path: `${S}/profiles/${uuid}/devices`, body: { serials: [serials[i % serials.length]] } }),
  (i: number) => ({ method: 'DELETE', path: `${S}/devices/profile`, body: { serials: [serials[(i + 7) % serials.length]] } })
]

async function run (faults: boolean): Promise<Run> {
  const pid = gate.proc.pid as number
  const rssStart = procMiB(pid, 'VmRSS')
  const latencies: number[] = []
  let errors = 0
  let undocumented = 0
  let sent = 0
  const end = Date.now() + seconds * 1000
  if (faults) {
    for (const kind of KINDS) {
      const added = await simControl('POST', '/_sim/faults', { endpoint: '*', times: 0, share: faultRate / KINDS.length, ...kind })
      if (typeof added.id !== 'number') throw new Error(`the simulator refused a fault: ${JSON.stringify(added)}`)
    }
  }
  await Promise.all(Array.from({ length: clients }, async () => {
    while (Date.now() < end) {
      const i = sent++
      const req = MIX[i % MIX.length](i) as { method: 'GET', path: string, body?: unknown }
      const started = performance.now()
      const res = await request(`${gate.url}${req.path}`, { dispatcher: agent, method: req.method, headers: req.body === undefined ? auth : { ...auth, 'content-type': 'application/json' }, body: req.body === undefined ? undefined : JSON.stringify(req.body) })
      const text = await res.body.text()
      latencies.push(performance.now() - started)
      if (res.statusCode < 400) continue
      errors++
      const code = String(res.headers['content-type']).startsWith('application/problem+json') ? (JSON.parse(text) as { code: string }).code : '(not a problem)'
      if (res.statusCode >= 500 && !DOCUMENTED.has(`${res.statusCode} ${code}`)) undocumented++
    }
  }))
  await simControl('DELETE', '/_sim/faults')
  latencies.sort((a, b) => a - b)
  return { requests: sent, rps: sent / seconds, p99: latencies[Math.floor(latencies.length * 0.99)] ?? 0, errors, undocumented, rssGrowth: procMiB(pid, 'VmRSS') - rssStart }
}

try {
  console.log(`${clients} clients, ${seconds} s clean then ${seconds} s with ${(faultRate * 100).toFixed(0)} % of Apple calls faulted, Node ${process.version}`)
  const clean = await run(false)
  const faulted = await run(true)
  const b = 'load'
  recordFigure({ bench: b, name: `throughput, ${clients} clients, ${faultRate * 100} % faults`, value: faulted.rps, unit: 'req/s', baseline: { name: 'no faults', value: clean.rps } })
  recordFigure({ bench: b, name: 'p99 latency with faults', value: faulted.p99, unit: 'ms', baseline: { name: 'no faults', value: clean.p99 }, note: `faulted calls are retried; latency faults add ${LATENCY_MS} ms` })
  recordFigure({ bench: b, name: 'answers that were errors, with faults', value: (faulted.errors / faulted.requests) * 100, unit: '%', baseline: { name: 'no faults', value: (clean.errors / clean.requests) * 100 } })
  recordFigure({ bench: b, name: 'undocumented 5xx with faults', value: faulted.undocumented, unit: 'answers', target: '0', met: faulted.undocumented === 0 })
  recordFigure({ bench: b, name: 'depgate RSS growth over the faulted run', value: faulted.rssGrowth, unit: 'MiB', baseline: { name: 'over the clean run', value: clean.rssGrowth }, target: '< 64 MiB', met: faulted.rssGrowth < 64 })
} finally {
  await agent.close()
  await stop(gate)
  gate.cleanup()
  await stop(sim)
}
