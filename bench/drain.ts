/**
 * Drains a large fleet live from Apple (the simulator) through `GET /v1/servers/default/devices`,
 * with the mirror off so every page is fetched through depgate, as JSON, as NDJSON and as CSV,
 * and prints the time and depgate's peak RSS above idle for each (depgate runs as a child process;
 * its peak comes from /proc/<pid>/status VmHWM, reset before each run, with RSS polling as a
 * cross-check). Figures are recorded through figures.ts (bench/results.md when run by run.ts).
 *
 *   npx tsc -p bench/tsconfig.json && node dist/bench/drain.js [devices]
 */
import { request } from 'undici'
import { recordFigure } from './figures.js'
import { ADMIN_KEY, procMiB, resetPeak, startDepgateProcess, startSimulatorProcess, stop } from './processes.js'

const devices = Number(process.argv[2] ?? 100_000)
const headers = { authorization: `Bearer ${ADMIN_KEY}` }

type Mode = 'JSON' | 'NDJSON' | 'CSV'
const ACCEPT: Record<Mode, string> = { JSON: 'application/json', NDJSON: 'application/x-ndjson', CSV: 'text/csv' }

async function drain (url: string, mode: Mode): Promise<{ count: number, bytes: number }> {
  const res = await request(url, { headers: { ...headers, accept: ACCEPT[mode] }, headersTimeout: 600_000, bodyTimeout: 600_000 })
  if (res.statusCode !== 200) throw new Error(`HTTP ${res.statusCode}: ${await res.body.text()}`)
  if (mode === 'JSON') {
    const text = await res.body.text()
    return { count: (JSON.parse(text) as { count: number }).count, bytes: text.length }
  }
  let bytes = 0
  let lines = 0
  for await (const chunk of res.body) {
    const s = String(chunk)
    bytes += s.length
    for (let i = s.indexOf('\n'); i !== -1; i = s.indexOf('\n', i + 1)) lines++
  }
  // NDJSON ends with a trailer line, CSV starts with its header row (the simulator's values hold no line break).
  return { count: lines - 1, bytes }
}

/** One mode on a fresh depgate process, so one run's garbage cannot inflate the other's peak. */
async function measure (simUrl: string, mode: Mode): Promise<{ seconds: number, idle: number, above: number }> {
  // The mirror off: this measures draining Apple's cursor pages (the mirror's own list is inventory.ts).
  const gate = await startDepgateProcess(simUrl, { DEPGATE_LOG_LEVEL: 'warn', DEPGATE_INVENTORY: 'false' })
  const pid = gate.proc.pid as number
  try {
    const url = `${gate.url}/v1/servers/default/devices`
    // Warm-up on a filtered list: loads the routes and opens depgate's session with Apple.
    await drain(`${url}?serial=NONE0000`, mode)
    await new Promise((resolve) => setTimeout(resolve, 500))
    const idle = procMiB(pid, 'VmRSS')
    const canReset = resetPeak(pid)
    let polled = idle
    const timer = setInterval(() => { polled = Math.max(polled, procMiB(pid, 'VmRSS')) }, 20)
    const started = process.hrtime.bigint()
    const { count, bytes } = await drain(url, mode)
    const ms = Number(process.hrtime.bigint() - started) / 1e6
    clearInterval(timer)
    if (count !== devices) throw new Error(`expected ${devices} devices, got ${count}`)
    const peak = canReset ? Math.max(procMiB(pid, 'VmHWM'), polled) : polled
    console.log(`${mode.padEnd(7)} ${(ms / 1000).toFixed(2)} s  ${(bytes / 1048576).toFixed(0)} MiB received  depgate peak RSS +${(peak - idle).toFixed(0)} MiB above idle (idle ${idle.toFixed(0)}, peak ${peak.toFixed(0)} MiB)`)
    return { seconds: ms / 1000, idle, above: peak - idle }
  } finally {
    await stop(gate)
    gate.cleanup()
  }
}

const sim = await startSimulatorProcess(devices)
try {
  console.log(`${devices} devices, Node ${process.version}`)
  const json = await measure(sim.url, 'JSON')
  const ndjson = await measure(sim.url, 'NDJSON')
  const csv = await measure(sim.url, 'CSV')
  const n = devices.toLocaleString('en-US')
  recordFigure({ bench: 'drain', name: `${n} devices as JSON: time`, value: json.seconds, unit: 's' })
  recordFigure({ bench: 'drain', name: `${n} devices as NDJSON: time`, value: ndjson.seconds, unit: 's', baseline: { name: 'JSON', value: json.seconds } })
  recordFigure({ bench: 'drain', name: `${n} devices as JSON: depgate peak RSS above idle`, value: json.above, unit: 'MiB', baseline: { name: 'idle RSS', value: json.idle } })
  recordFigure({
    bench: 'drain',
    name: `${n} devices as NDJSON: depgate peak RSS above idle`,
    value: ndjson.above,
    unit: 'MiB',
    baseline: { name: 'idle RSS', value: ndjson.idle },
    target: '< 64 MiB above idle',
    met: ndjson.above < 64
  })
  recordFigure({
    bench: 'drain',
    name: `${n} devices as CSV: time`,
    value: csv.seconds,
    unit: 's',
    baseline: { name: 'NDJSON', value: ndjson.seconds },
    target: 'within 1.5x of NDJSON',
    met: csv.seconds <= 1.5 * ndjson.seconds
  })
  recordFigure({
    bench: 'drain',
    name: `${n} devices as CSV: depgate peak RSS above idle`,
    value: csv.above,
    unit: 'MiB',
    baseline: { name: 'idle RSS', value: csv.idle },
    target: '< 64 MiB above idle',
    met: csv.above < 64
  })
} finally {
  await stop(sim)
}
