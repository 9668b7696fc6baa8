/**
 * How much depgate costs on a cheap call: `GET /v1/servers/default/account` through depgate
 * against the simulator's `GET /account` called directly with a session header, same upstream,
 * same run, no response cache anywhere. Prints requests/s, p50 and p99 for both and the ratio.
 *
 *   npx tsc -p bench/tsconfig.json && node dist/bench/proxy.js [connections] [seconds]
 */
import autocannon from 'autocannon'
import { request } from 'undici'
import { sessionAuthorization } from '../src/dep/oauth.js'
import { DEPSIM_CREDENTIALS } from '../src/simulator/index.js'
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

async function run (label: string, url: string, headers: Record<string, string>) {
  // Warm-up: connections, JIT, depgate's session with Apple.
  await autocannon({ url, connections, duration: 2, headers })
  const r = await autocannon({ url, connections, duration, headers })
  if (r.non2xx > 0 || r.errors > 0) throw new Error(`${label}: ${r.non2xx} non-2xx answers, ${r.errors} errors`)
  console.log(`${label.padEnd(28)} ${r.requests.average.toFixed(0).padStart(7)} req/s   p50 ${String(r.latency.p50).padStart(4)} ms   p99 ${String(r.latency.p99).padStart(4)} ms`)
  return r
}

const sim = await startSimulatorProcess(50)
const gate = await startDepgateProcess(sim.url, { DEPGATE_LOG_LEVEL: 'warn' })
try {
  console.log(`${connections} connections, ${duration} s each, Node ${process.version}`)
  const token = await session(sim.url)
  const direct = await run('simulator /account (direct)', `${sim.url}/account`, { 'x-adm-auth-session': token, 'user-agent': UA, 'x-server-protocol-version': '10' })
  const through = await run('depgate …/account', `${gate.url}/v1/servers/default/account`, { authorization: `Bearer ${ADMIN_KEY}` })
  console.log(`ratio depgate / direct: ${(through.requests.average / direct.requests.average).toFixed(2)} (target ≥ 0.35)`)
} finally {
  await stop(gate)
  gate.cleanup()
  await stop(sim)
}
