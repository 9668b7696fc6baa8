/**
 * The device mirror with a 100,000-device simulator, every figure against a baseline measured
 * in the same run:
 *   1. ingest of the first full fetch (devices/s, SQLite and PostgreSQL), from depgate's start until
 *      `inventory.ready`, against DepClient.drainFetch of the same fleet with no database;
 *   2. `GET …/devices/{serial}` from the mirror (autocannon, random serials of the fleet) against a
 *      bare Fastify route sending a constant device of the same size, in its own process: medians
 *      of alternating rounds (rounds.ts), `seconds` each;
 *   3. the whole list from the mirror as JSON and as NDJSON: time and depgate's peak RSS above idle
 *      (a fresh depgate per mode on the SQLite mirror of step 1).
 *
 *   npx tsc -p bench/tsconfig.json && node dist/bench/inventory.js [devices=100000] [connections=50] [seconds=5] [rounds=3]
 *
 * PostgreSQL: a fresh schema in BENCH_POSTGRES_URL (default postgres://postgres@127.0.0.1:5432/test),
 * dropped afterwards; BENCH_POSTGRES=off skips it. PROFILE_DIR runs every depgate under --cpu-prof
 * (a profile per process, written there when it stops: ingest, by-serial, list JSON, list NDJSON).
 */
import { randomBytes } from 'node:crypto'
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import Fastify from 'fastify'
import pg from 'pg'
import { request } from 'undici'
import { DepClient } from '../src/dep/index.js'
import { DEPSIM_CREDENTIALS } from '../src/simulator/index.js'
import { recordFigure } from './figures.js'
import { ADMIN_KEY, type Child, procMiB, resetPeak, spawnUntilUrl, startDepgateProcess, startSimulatorProcess, stop } from './processes.js'
import { alternate, cpuMicros, type SideResult } from './rounds.js'

const BENCH = 'inventory'
const headers = { authorization: `Bearer ${ADMIN_KEY}` }
const DEVICE_PATH = '/v1/servers/default/devices/'
const sleep = async (ms: number): Promise<void> => { await new Promise((resolve) => setTimeout(resolve, ms)) }
const secondsSince = (t: bigint): number => Number(process.hrtime.bigint() - t) / 1e9

/** `node inventory.js --bare <body>`: the baseline of figure 2, one Fastify route, nothing else. */
async function bareServer (body: string): Promise<void> {
  const app = Fastify({ logger: false })
  app.get(`${DEVICE_PATH}:serial`, async (_req, reply) => await reply.type('application/json; charset=utf-8').send(body))
  const url = await app.listen({ host: '127.0.0.1', port: 0 })
  console.log(JSON.stringify({ url }))
  process.once('SIGTERM', () => { app.close().catch(() => {}) })
}

async function startBare (body: string): Promise<Child> {
  return await spawnUntilUrl([fileURLToPath(import.meta.url), '--bare', body], 'bare server')
}

async function getJson<T> (url: string): Promise<T> {
  const res = await request(url, { headers })
  if (res.statusCode !== 200) throw new Error(`GET ${url}: HTTP ${res.statusCode} ${await res.body.text()}`)
  return await res.body.json() as T
}

interface Status { ready: boolean, device_count: number, syncing: boolean, last_success_at: string | null, last_error: { code: string } | null }
const status = async (url: string): Promise<Status> => (await getJson<{ inventory: Status }>(`${url}/v1/servers/default`)).inventory

/** Baseline of figure 1: the same fleet drained by the DEP client in this process, no database. */
async function clientDrain (simUrl: string): Promise<{ seconds: number, serials: string[] }> {
  const client = new DepClient({ token: DEPSIM_CREDENTIALS, baseUrl: simUrl })
  try {
    const started = process.hrtime.bigint()
    const serials: string[] = []
    for await (const page of client.drainFetch({ limit: 1000 })) for (const d of page.devices ?? []) serials.push(d.serial_number)
    return { seconds: secondsSince(started), serials }
  } finally {
    await client.close()
  }
}

/** Figure 1 for one database: depgate started on an empty one, timed until its mirror is ready. */
async function ingest (simUrl: string, devices: number, env: Record<string, string>, profileDir: string | undefined): Promise<{ seconds: number, cpuSeconds: number }> {
  const started = process.hrtime.bigint()
  const gate = await startDepgateProcess(simUrl, { DEPGATE_LOG_LEVEL: 'warn', DEPGATE_SYNC_PAGE_SIZE: '1000', ...env }, profileArgs(profileDir))
  try {
    const listening = secondsSince(started)
    for (;;) {
      const s = await status(gate.url)
      if (s.last_error !== null) throw new Error(`sync failed: ${s.last_error.code}`)
      if (s.ready) {
        const seconds = secondsSince(started)
        const cpuSeconds = cpuMicros(gate.proc.pid) / 1e6
        if (s.device_count !== devices) throw new Error(`mirror has ${s.device_count} devices, expected ${devices}`)
        console.log(`ingest ${env.DEPGATE_DATABASE_URL === undefined ? 'SQLite' : 'PostgreSQL'}: ${seconds.toFixed(2)} s (listening after ${listening.toFixed(2)} s), depgate CPU ${cpuSeconds.toFixed(1)} s`)
        return { seconds, cpuSeconds }
      }
      await sleep(50)
    }
  } finally {
    await stop(gate, 'SIGINT')
    gate.cleanup()
  }
}

const profileArgs = (dir: string | undefined): string[] => dir === undefined ? [] : ['--cpu-prof', `--cpu-prof-dir=${dir}`]

/** depgate on an existing mirror, once its start-up sync with the simulator has finished. */
async function gateOnMirror (simUrl: string, dataDir: string, profileDir: string | undefined): Promise<Child & { cleanup: () => void }> {
  const startedAt = new Date().toISOString()
  const gate = await startDepgateProcess(simUrl, { DEPGATE_LOG_LEVEL: 'warn', DEPGATE_DATA_DIR: dataDir }, profileArgs(profileDir))
  for (;;) {
    const s = await status(gate.url)
    if (s.ready && !s.syncing && s.last_success_at !== null && s.last_success_at >= startedAt) return gate
    await sleep(100)
  }
}

/** Figure 3 for one format, on a fresh depgate over the mirror; the peak is VmHWM (reset first) or polled RSS. */
async function listAll (simUrl: string, dataDir: string, ndjson: boolean, devices: number, profileDir: string | undefined): Promise<{ seconds: number, cpuSeconds: number, idle: number, above: number }> {
  const gate = await gateOnMirror(simUrl, dataDir, profileDir)
  const pid = gate.proc.pid as number
  try {
    const url = `${gate.url}/v1/servers/default/devices`
    const h = ndjson ? { ...headers, accept: 'application/x-ndjson' } : headers
    await (await request(`${url}?serial=NONE0000`, { headers: h })).body.dump() // loads the route
    await sleep(500)
    const idle = procMiB(pid, 'VmRSS')
    const canReset = resetPeak(pid)
    let polled = idle
    const timer = setInterval(() => { polled = Math.max(polled, procMiB(pid, 'VmRSS')) }, 20)
    const cpuBefore = cpuMicros(pid)
    const started = process.hrtime.bigint()
    const res = await request(url, { headers: h, headersTimeout: 600_000, bodyTimeout: 600_000 })
    let count = 0
    let bytes = 0
    if (ndjson) {
      // Count newlines as the body streams in: the client holds no more than a chunk.
      for await (const chunk of res.body) {
        const b = chunk as Buffer
        bytes += b.length
        for (let i = b.indexOf(10); i !== -1; i = b.indexOf(10, i + 1)) count++
      }
      count-- // the trailer line
    }
    const text = ndjson ? '' : await res.body.text()
    // Stopped once the last byte is in: the client's own JSON.parse is not depgate's time.
    const seconds = secondsSince(started)
    const cpuSeconds = (cpuMicros(pid) - cpuBefore) / 1e6
    if (!ndjson) {
      bytes = text.length
      count = (JSON.parse(text) as { count: number }).count
    }
    clearInterval(timer)
    if (res.statusCode !== 200 || count !== devices) throw new Error(`list: HTTP ${res.statusCode}, ${count} devices, expected ${devices}`)
    const peak = canReset ? Math.max(procMiB(pid, 'VmHWM'), polled) : polled
    console.log(`list ${ndjson ? 'NDJSON' : 'JSON  '} ${seconds.toFixed(2)} s (depgate CPU ${cpuSeconds.toFixed(2)} s)  ${(bytes / 1048576).toFixed(0)} MiB  depgate peak RSS +${(peak - idle).toFixed(0)} MiB (idle ${idle.toFixed(0)}, peak ${peak.toFixed(0)} MiB)`)
    return { seconds, cpuSeconds, idle, above: peak - idle }
  } finally {
    await stop(gate, 'SIGINT')
    gate.cleanup()
  }
}

async function withPostgresSchema<T> (fn: (url: string) => Promise<T>): Promise<T> {
  const base = process.env.BENCH_POSTGRES_URL ?? 'postgres://postgres@127.0.0.1:5432/test'
  const schema = `depgate_bench_${randomBytes(6).toString('hex')}`
  const admin = async (sql: string): Promise<void> => {
    const c = new pg.Client({ connectionString: base })
    await c.connect()
    try { await c.query(sql) } finally { await c.end() }
  }
  await admin(`create schema ${schema}`)
  try {
    const url = new URL(base)
    url.searchParams.set('options', `-c search_path=${schema}`)
    return await fn(url.href)
  } finally {
    await admin(`drop schema if exists ${schema} cascade`)
  }
}

async function main (devices: number, connections: number, seconds: number, rounds: number): Promise<void> {
  const profileDir = process.env.PROFILE_DIR
  const n = devices.toLocaleString('en-US')
  const dataDir = mkdtempSync(join(tmpdir(), 'depgate-bench-mirror-'))
  const sim = await startSimulatorProcess(devices)
  try {
    console.log(`${n} devices, Node ${process.version}`)
    await clientDrain(sim.url) // warm-up of the simulator
    const direct = await clientDrain(sim.url)
    const directRate = devices / direct.seconds
    console.log(`DepClient.drainFetch: ${direct.seconds.toFixed(2)} s`)

    // 1. Ingest.
    const sqlite = await ingest(sim.url, devices, { DEPGATE_DATA_DIR: dataDir }, profileDir)
    const ingestFigure = (db: string, r: { seconds: number, cpuSeconds: number }): void => {
      recordFigure({ bench: BENCH, name: `first fetch of ${n} devices into the ${db} mirror`, value: devices / r.seconds, unit: 'devices/s', baseline: { name: 'DepClient.drainFetch, no database', value: directRate }, note: `${r.seconds.toFixed(1)} s from depgate's start to inventory.ready, depgate CPU ${r.cpuSeconds.toFixed(1)} s` })
    }
    ingestFigure('SQLite', sqlite)
    if (process.env.BENCH_POSTGRES !== 'off') {
      ingestFigure('PostgreSQL', await withPostgresSchema(async (url) => await ingest(sim.url, devices, { DEPGATE_DATABASE_URL: url }, profileDir)))
    }

    // 2. By serial: 2,000 random serials of the fleet, the same paths for both servers.
    const paths = Array.from({ length: 2000 }, () => DEVICE_PATH + direct.serials[Math.floor(Math.random() * direct.serials.length)])
    const gate = await gateOnMirror(sim.url, dataDir, profileDir)
    let mirror: SideResult
    let bare: SideResult
    try {
      const res = await request(gate.url + paths[0], { headers })
      const body = await res.body.text()
      if (res.statusCode !== 200 || res.headers['x-depgate-source'] !== 'mirror') throw new Error(`by serial: HTTP ${res.statusCode} from ${String(res.headers['x-depgate-source'])}`)
      console.log(`device body ${body.length} bytes; ${rounds} rounds of ${seconds} s per side`)
      const bareServer = await startBare(body)
      try {
        const requests = paths.map((path) => ({ method: 'GET', path }))
        ;[bare, mirror] = await alternate([
          { label: 'bare Fastify route', opts: { url: bareServer.url, connections, headers, requests }, pids: { bare: bareServer.proc.pid } },
          { label: 'depgate …/devices/{serial}', opts: { url: gate.url, connections, headers, requests }, pids: { depgate: gate.proc.pid } }
        ], rounds, seconds, 3)
      } finally {
        await stop(bareServer)
      }
    } finally {
      await stop(gate, 'SIGINT')
      gate.cleanup()
    }
    const what = `${connections} connections, random serials, median of ${rounds} rounds`
    recordFigure({ bench: BENCH, name: `devices/{serial} from the mirror req/s, ${what}`, value: mirror.rps, unit: 'req/s', baseline: { name: 'bare Fastify route, constant device of the same size', value: bare.rps }, target: 'ratio ≥ 0.5, no errors', met: mirror.rps / bare.rps >= 0.5 && mirror.failed === 0, ...(mirror.failed + bare.failed > 0 ? { note: `errors or timeouts: depgate ${mirror.failed}, bare ${bare.failed}` } : {}) })
    recordFigure({ bench: BENCH, name: 'devices/{serial} p50', value: mirror.p50, unit: 'ms', baseline: { name: 'bare route', value: bare.p50 } })
    recordFigure({ bench: BENCH, name: 'devices/{serial} p99', value: mirror.p99, unit: 'ms', baseline: { name: 'bare route', value: bare.p99 } })
    recordFigure({ bench: BENCH, name: 'devices/{serial} CPU per request', value: mirror.cpuUs.depgate, unit: 'µs', baseline: { name: 'bare route', value: bare.cpuUs.bare } })

    // 3. The whole list, a fresh depgate per format.
    for (const ndjson of [false, true]) {
      const kind = ndjson ? 'NDJSON' : 'JSON'
      const r = await listAll(sim.url, dataDir, ndjson, devices, profileDir)
      recordFigure({ bench: BENCH, name: `all ${n} devices from the mirror as ${kind}: time`, value: r.seconds, unit: 's', baseline: { name: 'DepClient.drainFetch from the simulator', value: direct.seconds }, target: '< 2 s', met: r.seconds < 2, note: `depgate CPU ${r.cpuSeconds.toFixed(2)} s` })
      recordFigure({ bench: BENCH, name: `all ${n} devices from the mirror as ${kind}: depgate peak RSS above idle`, value: r.above, unit: 'MiB', baseline: { name: 'idle RSS', value: r.idle }, target: '< 100 MB above idle', met: r.above * 1048576 < 100e6 })
    }
  } finally {
    await stop(sim)
    rmSync(dataDir, { recursive: true, force: true })
  }
}

if (process.argv[2] === '--bare') await bareServer(process.argv[3])
else await main(Number(process.argv[2] ?? 100_000), Number(process.argv[3] ?? 50), Number(process.argv[4] ?? 5), Number(process.argv[5] ?? 3))
