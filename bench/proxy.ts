/**
 * How much depgate costs on a cheap call: `GET /v1/servers/default/account` through depgate
 * against the simulator's `GET /account` called directly with a session header, same upstream,
 * same run, no response cache anywhere. Prints requests/s, p50 and p99 for both and the ratio.
 *
 *   npx tsc -p bench/tsconfig.json && node dist/bench/proxy.js [connections] [seconds]
 *
 * PROFILE_DIR=/tmp/prof runs depgate under `--cpu-prof` and stops it with SIGINT after the load, so
 * the .cpuprofile written there covers the measured requests (plus start-up and the warm-up).
 */
import { readFileSync } from 'node:fs'
import autocannon from 'autocannon'
import { request } from 'undici'
import { sessionAuthorization } from '../src/dep/oauth.js'
import { DEPSIM_CREDENTIALS } from '../src/simulator/index.js'
import { recordFigure } from './figures.js'
import { ADMIN_KEY, startDepgateProcess, startSimulatorProcess, stop } from './processes.js'

const connections = Number(process.argv[2] ?? 50)
const duration = Number(process.argv[3] ?? 10)
const UA = 'depgate-bench/1'

async function session (simUrl: string): Promise<string> {
  const url = `${simUrl}/session`
  const res = await request(url, {
    headers: { authorization: sessionAuthorization(DEPSIM_CREDENTIALS, url, { now: Date.now() }), 'user-agent': UA, 'content-type': 'application/json;charset=UTF8' }
  })
  const body = await res.body.json() as { auth_session_token: string }
  return body.auth_session_token
}

/** CPU time (user + system) a process has used, in µs (Linux /proc, clock ticks of 10 ms). */
function cpuMicros (pid: number | undefined): number {
  const fields = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1].split(' ')
  return (Number(fields[11]) + Number(fields[12])) * 10_000
}

/**
 * The throughput figure depends on what else the machine runs; CPU per request of each process
 * does much less, so it is printed too (for the simulator and, when it is in the path, depgate).
 */
async function run (label: string, url: string, headers: Record<string, string>, pids: Record<string, number | undefined>): Promise<{ r: Awaited<ReturnType<typeof autocannon>>, cpu: Record<string, number> }> {
  // Warm-up: connections, JIT, depgate's session with Apple.
  await autocannon({ url, connections, duration: 2, headers })
  const before = Object.fromEntries(Object.entries(pids).map(([name, pid]) => [name, cpuMicros(pid)]))
  const r = await autocannon({ url, connections, duration, headers })
  if (r.non2xx > 0 || r.errors > 0) throw new Error(`${label}: ${r.non2xx} non-2xx answers, ${r.errors} errors`)
  const cpu = Object.fromEntries(Object.entries(pids).map(([name, pid]) => [name, (cpuMicros(pid) - before[name]) / r.requests.total]))
  const cpuText = Object.entries(cpu).map(([name, us]) => `${name} ${us.toFixed(0)} µs`).join(', ')
  console.log(`${label.padEnd(28)} ${r.requests.average.toFixed(0).padStart(7)} req/s   p50 ${String(r.latency.p50).padStart(4)} ms   p99 ${String(r.latency.p99).padStart(4)} ms   CPU/req: ${cpuText}`)
  return { r, cpu }
}

const profileDir = process.env.PROFILE_DIR
const sim = await startSimulatorProcess(50)
const gate = await startDepgateProcess(sim.url, { DEPGATE_LOG_LEVEL: 'warn' }, profileDir === undefined ? [] : ['--cpu-prof', `--cpu-prof-dir=${profileDir}`])
try {
  console.log(`${connections} connections, ${duration} s each, Node ${process.version}`)
  const token = await session(sim.url)
  const direct = await run('simulator /account (direct)', `${sim.url}/account`, { 'x-adm-auth-session': token, 'user-agent': UA, 'x-server-protocol-version': '10' }, { simulator: sim.proc.pid })
  const through = await run('depgate …/account', `${gate.url}/v1/servers/default/account`, { authorization: `Bearer ${ADMIN_KEY}` }, { depgate: gate.proc.pid, simulator: sim.proc.pid })
  const ratio = through.r.requests.average / direct.r.requests.average
  const what = `${connections} connections`
  recordFigure({
    bench: 'proxy',
    name: `account req/s through depgate, ${what}`,
    value: through.r.requests.average,
    unit: 'req/s',
    baseline: { name: 'simulator /account direct', value: direct.r.requests.average },
    target: 'ratio ≥ 0.35',
    met: ratio >= 0.35
  })
  recordFigure({ bench: 'proxy', name: `account p50 through depgate, ${what}`, value: through.r.latency.p50, unit: 'ms', baseline: { name: 'direct', value: direct.r.latency.p50 } })
  recordFigure({ bench: 'proxy', name: `account p99 through depgate, ${what}`, value: through.r.latency.p99, unit: 'ms', baseline: { name: 'direct', value: direct.r.latency.p99 } })
  recordFigure({
    bench: 'proxy',
    name: 'depgate CPU per request',
    value: through.cpu.depgate,
    unit: 'µs',
    baseline: { name: 'simulator CPU per direct request', value: direct.cpu.simulator },
    note: 'steadier than req/s on a shared machine; user + system time from /proc, 10 ms ticks'
  })
} finally {
  await stop(gate, 'SIGINT')
  gate.cleanup()
  await stop(sim)
}
