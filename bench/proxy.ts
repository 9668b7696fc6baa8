/**
 * How much depgate costs on a cheap call: `GET /v1/servers/default/account` through depgate
 * against the simulator's `GET /account` called directly with a session header, same upstream,
 * same run, no response cache anywhere. Prints requests/s, p50 and p99 for both and the ratio:
 * medians of alternating rounds (rounds.ts), direct then through depgate, `seconds` each.
 *
 *   npx tsc -p bench/tsconfig.json && node dist/bench/proxy.js [connections=50] [seconds=5] [rounds=5]
 *
 * A third side, not part of the target: a bare proxy (one Fastify route forwarding to the same
 * upstream through an undici Pool, nothing else) shows what any Node gateway pays for the two HTTP
 * exchanges alone, so depgate's own cost (auth, rate limit, metrics, checking Apple's answer) reads
 * as the gap between the two.
 *
 * PROFILE_DIR=/tmp/prof runs depgate under `--cpu-prof` and stops it with SIGINT after the load, so
 * the .cpuprofile written there covers the measured requests (plus start-up and the warm-up).
 */
import { fileURLToPath } from 'node:url'
import Fastify from 'fastify'
import { Pool, request } from 'undici'
import { sessionAuthorization } from '../src/dep/oauth.js'
import { DEPSIM_CREDENTIALS } from '../src/simulator/index.js'
import { recordFigure } from './figures.js'
import { ADMIN_KEY, spawnUntilUrl, startDepgateProcess, startSimulatorProcess, stop } from './processes.js'
import { alternate } from './rounds.js'

const connections = Number(process.argv[2] ?? 50)
const seconds = Number(process.argv[3] ?? 5)
const rounds = Number(process.argv[4] ?? 5)
const UA = 'depgate-bench/1'

async function session (simUrl: string): Promise<string> {
  const url = `${simUrl}/session`
  const res = await request(url, {
    headers: { authorization: sessionAuthorization(DEPSIM_CREDENTIALS, url, { now: Date.now() }), 'user-agent': UA, 'content-type': 'application/json;charset=UTF8' }
  })
  const body = await res.body.json() as { auth_session_token: string }
  return body.auth_session_token
}

/** `node proxy.js --bare <upstream> <session>`: the floor, one route forwarding /account with depgate's connection count. */
async function bareProxy (upstream: string, token: string): Promise<void> {
  const pool = new Pool(upstream, { connections: 8 })
  const app = Fastify({ logger: false })
  app.get('/account', async (_req, reply) => {
    const res = await pool.request({ path: '/account', method: 'GET', headers: { 'x-adm-auth-session': token, 'user-agent': UA, 'x-server-protocol-version': '10' } })
    const text = await res.body.text()
    JSON.parse(text) // as any gateway that looks at the answer must
    return await reply.type('application/json; charset=utf-8').send(text)
  })
  console.log(JSON.stringify({ url: await app.listen({ host: '127.0.0.1', port: 0 }) }))
  process.once('SIGTERM', () => { app.close().then(async () => { await pool.close() }).catch(() => {}) })
}

if (process.argv[2] === '--bare') {
  await bareProxy(process.argv[3], process.argv[4])
} else {
  await main()
}

async function main (): Promise<void> {
  const profileDir = process.env.PROFILE_DIR
  const sim = await startSimulatorProcess(50)
  const gate = await startDepgateProcess(sim.url, { DEPGATE_LOG_LEVEL: 'warn' }, profileDir === undefined ? [] : ['--cpu-prof', `--cpu-prof-dir=${profileDir}`])
  const token = await session(sim.url)
  const bare = await spawnUntilUrl([fileURLToPath(import.meta.url), '--bare', sim.url, token], 'bare proxy')
  try {
    console.log(`${connections} connections, ${rounds} rounds of ${seconds} s per side, Node ${process.version}`)
    const [direct, through, floor] = await alternate([
      { label: 'simulator /account (direct)', opts: { url: `${sim.url}/account`, connections, headers: { 'x-adm-auth-session': token, 'user-agent': UA, 'x-server-protocol-version': '10' } }, pids: { simulator: sim.proc.pid } },
      { label: 'depgate …/account', opts: { url: `${gate.url}/v1/servers/default/account`, connections, headers: { authorization: `Bearer ${ADMIN_KEY}` } }, pids: { depgate: gate.proc.pid, simulator: sim.proc.pid } },
      { label: 'bare proxy /account', opts: { url: `${bare.url}/account`, connections }, pids: { proxy: bare.proc.pid, simulator: sim.proc.pid } }
    ], rounds, seconds)
    for (const side of [direct, through, floor]) if (side.failed > 0) throw new Error(`${side.failed} errors or timeouts`)
    const ratio = through.rps / direct.rps
    const what = `${connections} connections, median of ${rounds} rounds`
    recordFigure({
      bench: 'proxy',
      name: `account req/s through depgate, ${what}`,
      value: through.rps,
      unit: 'req/s',
      baseline: { name: 'simulator /account direct', value: direct.rps },
      target: 'ratio ≥ 0.35',
      met: ratio >= 0.35
    })
    recordFigure({ bench: 'proxy', name: `account p50 through depgate, ${what}`, value: through.p50, unit: 'ms', baseline: { name: 'direct', value: direct.p50 } })
    recordFigure({ bench: 'proxy', name: `account p99 through depgate, ${what}`, value: through.p99, unit: 'ms', baseline: { name: 'direct', value: direct.p99 } })
    recordFigure({
      bench: 'proxy',
      name: 'depgate CPU per request',
      value: through.cpuUs.depgate,
      unit: 'µs',
      baseline: { name: 'simulator CPU per direct request', value: direct.cpuUs.simulator },
      note: 'steadier than req/s on a shared machine; user + system time from /proc, 10 ms ticks'
    })
    recordFigure({
      bench: 'proxy',
      name: `account req/s through a bare Fastify + undici proxy, ${what}`,
      value: floor.rps,
      unit: 'req/s',
      baseline: { name: 'simulator /account direct', value: direct.rps },
      note: `the floor for any Node gateway: ${floor.cpuUs.proxy.toFixed(0)} µs CPU per request against depgate's ${through.cpuUs.depgate.toFixed(0)} µs`
    })
  } finally {
    await stop(bare)
    await stop(gate, 'SIGINT')
    gate.cleanup()
    await stop(sim)
  }
}
