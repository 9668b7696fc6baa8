/**
 * The assignment engine, end to end against the simulator (both as processes from the build):
 *
 * 1. Time from a device added at the simulator (control API) to its profile assigned there, by a
 *    rule, median of `rounds`, once per sync interval given. The engine acts after the sync that
 *    sees the device, so the figure is about half the interval plus one sync page and one assign
 *    call: the baseline is the interval itself. The rounds of one interval run side by side, each
 *    device added at its own random moment within one interval after the first fetch, so it lands
 *    at a random point of the sync cycle and the figure takes about one interval of real time: at
 *    the default (900 s) a quarter of an hour, so leave 900 out of the list for a quick run.
 * 2. The rule backfill (skipped with devices=0): POST …/assignment-rules/apply, `replace: true`, so
 *    every device of the fleet is assigned: devices/s from the POST to the job's end, and the
 *    Apple assign calls made against the floor ⌈n/1000⌉. Baseline: the same assignments sent straight to the simulator in
 *    calls of 1000 serials, one after the other (the floor in time too). `rounds` rounds, each a
 *    direct run then a backfill to a fresh profile (the rule names a new one each round, so every
 *    device moves again), medians of both; depgate's CPU time per backfill is noted (steadier
 *    than wall time on a shared machine).
 *
 *   node dist/bench/assign.js [devices=20000] [rounds=5] [intervals=60,900]
 *
 * An empty `intervals` ('') runs the backfill only. PROFILE_DIR=/tmp/prof runs the backfill's
 * depgate under `--cpu-prof` (the profile is written when it stops).
 */
import { request } from 'undici'
import { DEPSIM_CREDENTIALS } from '../src/simulator/index.js'
import { DepClient } from '../src/dep/index.js'
import { recordFigure } from './figures.js'
import { ADMIN_KEY, startDepgateProcess, startSimulatorProcess, stop } from './processes.js'
import { pause, poll, cpuMicros } from './rounds.js'

const devices = Number(process.argv[2] ?? 20_000)
const rounds = Number(process.argv[3] ?? 5)
const intervals = (process.argv[4] ?? '60,900').split(',').filter((i) => i !== '').map(Number)
const profileDir = process.env.PROFILE_DIR
const S = '/v1/servers/default'
const PROFILE = { url: 'https://mdm.example.com/enroll', is_supervised: true, is_mdm_removable: false, department: 'IT' }

async function call (base: string, method: 'GET' | 'PUT' | 'POST', path: string, body?: unknown, headers: Record<string, string> = {}): Promise<any> {
  const res = await request(`${base}${path}`, {
    method,
    headers: { authorization: `Bearer ${ADMIN_KEY}`, ...headers, ...(body === undefined ? {} : { 'content-type': 'application/json' }) },
    ...(body === undefined ? {} : { body: JSON.stringify(body) })
  })
  const json = await res.body.json() as any
  if (res.statusCode >= 300) throw new Error(`${method} ${path}: ${res.statusCode} ${JSON.stringify(json)}`)
  return json
}

const median = (xs: number[]): number => { const s = [...xs].sort((a, b) => a - b); return s[Math.floor(s.length / 2)]! }

/** depgate with a profile and a rule in place, the mirror ready. */
async function setUp (simUrl: string, env: Record<string, string>, rule: Record<string, unknown>, nodeArgs: string[] = []): Promise<{ url: string, uuid: string, pid: number | undefined, stop: () => Promise<void> }> {
  const depgate = await startDepgateProcess(simUrl, { DEPGATE_SYNC_PAGE_SIZE: '1000', ...env }, nodeArgs)
  await poll('the first fetch', async () => (await call(depgate.url, 'GET', S)).inventory.ready === true, 600_000)
  const uuid = (await call(depgate.url, 'PUT', `${S}/enrollment-profiles/bench`, { ...PROFILE, profile_name: 'bench' })).profile_uuid as string
  await call(depgate.url, 'PUT', `${S}/assignment-rules`, { rules: [{ name: 'all', match: {}, profile: 'bench', ...rule }] })
  return { url: depgate.url, uuid, pid: depgate.proc.pid, stop: async () => { await stop(depgate); depgate.cleanup() } }
}

async function simJson (simUrl: string, method: 'GET' | 'POST', path: string, body?: unknown): Promise<any> {
  const res = await request(`${simUrl}${path}`, { method, ...(body === undefined ? {} : { headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) }) })
  return await res.body.json()
}

async function newDeviceLatency (intervalS: number): Promise<void> {
  const sim = await startSimulatorProcess(100)
  const d = await setUp(sim.url, { DEPGATE_SYNC_INTERVAL: String(intervalS) }, {})
  // The rounds run side by side, each device added at its own random moment of one interval.
  const times = await Promise.all(Array.from({ length: rounds }, async (_, i) => {
    await pause(Math.random() * intervalS * 1000)
    const added = (await simJson(sim.url, 'POST', '/_sim/devices', { devices: [{ profile_status: 'empty' }] })).devices[0].serial_number as string
    const start = Date.now()
    await poll(`${added} assigned`, async () => (await simJson(sim.url, 'GET', `/_sim/devices/${added}`)).device.profile_uuid === d.uuid, intervalS * 2000 + 60_000, 50)
    console.log(`  interval ${intervalS} s, round ${i + 1}: ${((Date.now() - start) / 1000).toFixed(1)} s`)
    return Date.now() - start
  }))
  recordFigure({
    bench: 'assign',
    name: `new device to profile assigned, DEPGATE_SYNC_INTERVAL=${intervalS}`,
    value: median(times) / 1000,
    unit: 's',
    baseline: { name: 'the sync interval', value: intervalS },
    target: '≤ one interval',
    met: median(times) / 1000 <= intervalS,
    note: `median of ${rounds}; every round: ${times.map((t) => (t / 1000).toFixed(1)).join(', ')} s`
  })
  await d.stop()
  await stop(sim)
}

async function backfill (): Promise<void> {
  const sim = await startSimulatorProcess(devices)
  const serials = ((await simJson(sim.url, 'GET', '/_sim/devices')).devices as Array<{ serial_number: string }>).map((x) => x.serial_number)
  const client = new DepClient({ token: DEPSIM_CREDENTIALS, baseUrl: sim.url })
  const d = await setUp(sim.url, { DEPGATE_SYNC_INTERVAL: '86400' }, { replace: true }, profileDir === undefined ? [] : ['--cpu-prof', `--cpu-prof-dir=${profileDir}`])
  const floor = Math.ceil(devices / 1000)
  const directMs: number[] = []
  const backfillMs: number[] = []
  const cpuS: number[] = []
  const calls: number[] = []
  for (let round = 1; round <= rounds; round++) {
    // Baseline: the fleet to a fresh profile straight at the simulator, 1000 serials a call.
    const direct = (await client.defineProfile({ ...PROFILE, profile_name: `direct ${round}` })).profile_uuid
    const t0 = Date.now()
    for (let i = 0; i < serials.length; i += 1000) await client.assignProfile(direct, serials.slice(i, i + 1000))
    directMs.push(Date.now() - t0)
    // depgate: after the first round the rule names a fresh profile, so every device moves again.
    if (round > 1) {
      await call(d.url, 'PUT', `${S}/enrollment-profiles/bench-${round}`, { ...PROFILE, profile_name: `bench-${round}` })
      await call(d.url, 'PUT', `${S}/assignment-rules`, { rules: [{ name: 'all', match: {}, profile: `bench-${round}`, replace: true }] }, { 'if-match': '*' })
    }
    const before = (await simJson(sim.url, 'GET', '/_sim/stats')).requests.assign_profile as number
    const cpuBefore = cpuMicros(d.pid)
    const t1 = Date.now()
    const job = await call(d.url, 'POST', `${S}/assignment-rules/apply`)
    const done = await poll('the backfill job', async () => { const j = await call(d.url, 'GET', `/v1/jobs/${job.id as string}`); return j.state !== 'running' && j.state !== 'queued' && j }, 600_000, 20)
    backfillMs.push(Date.now() - t1)
    cpuS.push((cpuMicros(d.pid) - cpuBefore) / 1e6)
    calls.push(((await simJson(sim.url, 'GET', '/_sim/stats')).requests.assign_profile as number) - before)
    if (done.state !== 'succeeded' || done.progress.done !== devices) throw new Error(`the backfill ended ${done.state as string} at ${JSON.stringify(done.progress)}`)
    console.log(`  backfill round ${round}: ${(backfillMs.at(-1)! / 1000).toFixed(2)} s (depgate CPU ${cpuS.at(-1)!.toFixed(2)} s, ${calls.at(-1)!} calls); direct ${(directMs.at(-1)! / 1000).toFixed(2)} s`)
  }
  await client.close()
  const seconds = median(backfillMs) / 1000
  const directS = median(directMs) / 1000
  const list = (xs: number[]): string => xs.map((x) => (x / 1000).toFixed(1)).join(', ')
  recordFigure({ bench: 'assign', name: `backfill of ${devices} devices (apply_rules job), median of ${rounds}`, value: devices / seconds, unit: 'devices/s', baseline: { name: 'direct assign calls of 1000', value: devices / directS }, target: 'ratio ≥ 0.5', met: directS / seconds >= 0.5, note: `${seconds.toFixed(1)} s, every round: ${list(backfillMs)} s; direct ${directS.toFixed(1)} s, every round: ${list(directMs)} s; depgate CPU per backfill ${median(cpuS).toFixed(1)} s` })
  recordFigure({ bench: 'assign', name: `Apple assign calls for ${devices} devices, most in a round`, value: Math.max(...calls), unit: 'calls', baseline: { name: 'the floor ⌈n/1000⌉', value: floor }, target: '= the floor', met: calls.every((c) => c === floor) })
  await d.stop()
  await stop(sim)
}

if (devices > 0) await backfill()
for (const interval of intervals) await newDeviceLatency(interval)
