/**
 * One device, both views: `GET …/devices/{serial}` of a DEP server linked to its org (the DEP
 * mirror's record with the org mirror's view of the device joined in, one more query) against the
 * same read of an unlinked server on the same depgate, the same simulator and the same serials
 * (the SQLite hot path, no join): medians of alternating rounds (rounds.ts), `seconds` each.
 *
 *   npx tsc -p bench/tsconfig.json && node dist/bench/org-join.js [devices=20000] [connections=50] [seconds=5] [rounds=3]
 */
import { request } from 'undici'
import { DEPSIM_CREDENTIALS } from '../src/simulator/index.js'
import { recordFigure } from './figures.js'
import { ADMIN_KEY, startDepgateProcess, startSimulatorProcess, stop } from './processes.js'
import { alternate } from './rounds.js'

const BENCH = 'org-join'
const headers = { authorization: `Bearer ${ADMIN_KEY}`, 'content-type': 'application/json' }
const sleep = async (ms: number): Promise<void> => { await new Promise((resolve) => setTimeout(resolve, ms)) }

async function call<T> (method: string, url: string, body?: unknown): Promise<T> {
  const res = await request(url, { method: method as 'GET', headers, body: body === undefined ? undefined : JSON.stringify(body) })
  const text = await res.body.text()
  if (res.statusCode >= 300) throw new Error(`${method} ${url}: HTTP ${res.statusCode} ${text}`)
  return JSON.parse(text) as T
}

async function waitFor (what: string, ready: () => Promise<boolean>): Promise<void> {
  const deadline = Date.now() + 600_000
  while (!(await ready())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`)
    await sleep(200)
  }
}

async function main (devices: number, connections: number, seconds: number, rounds: number): Promise<void> {
  const sim = await startSimulatorProcess(devices)
  try {
    const gate = await startDepgateProcess(sim.url, { DEPGATE_LOG_LEVEL: 'warn', DEPGATE_SYNC_PAGE_SIZE: '1000', DEPGATE_ORG_REQUEST_BUDGET: '10000' })
    try {
      const account = await call<{ clientId: string, keyId: string, privateKey: string }>('POST', `${sim.url}/_sim/axm/keys`, {})
      await call('PUT', `${gate.url}/v1/orgs/acme`, { client_id: account.clientId, key_id: account.keyId, private_key: account.privateKey, base_url: sim.url, token_url: `${sim.url}/auth/oauth2/token` })
      const { depServerId } = await call<{ depServerId: string }>('GET', `${sim.url}/_sim/axm/servers`)
      await call('PUT', `${gate.url}/v1/servers/linked`, { token: DEPSIM_CREDENTIALS, base_url: sim.url, org: 'acme', org_mdm_server: depServerId })
      await waitFor('both DEP mirrors and the org mirror', async () => {
        const servers = (await call<{ servers: Array<{ inventory: { ready: boolean } }> }>('GET', `${gate.url}/v1/servers`)).servers
        const org = await call<{ mirror: { ready: boolean } }>('GET', `${gate.url}/v1/orgs/acme`)
        return servers.every((s) => s.inventory.ready) && org.mirror.ready
      })
      const listed = (await call<{ devices: Array<{ serial_number: string }> }>('GET', `${gate.url}/v1/servers/default/devices?limit=1000`)).devices.map((d) => d.serial_number)
      const serials = Array.from({ length: 2000 }, () => listed[Math.floor(Math.random() * listed.length)])
      const sample = await call<{ org?: { mdm_server: { is_this_server: boolean } } }>('GET', `${gate.url}/v1/servers/linked/devices/${serials[0]}`)
      if (sample.org?.mdm_server.is_this_server !== true) throw new Error(`the linked read has no org view: ${JSON.stringify(sample)}`)
      const requestsOf = (server: string) => serials.map((s) => ({ method: 'GET' as const, path: `/v1/servers/${server}/devices/${s}` }))
      const [plain, joined] = await alternate([
        { label: 'unlinked server', opts: { url: gate.url, connections, headers, requests: requestsOf('default') }, pids: { depgate: gate.proc.pid } },
        { label: 'server linked to its org', opts: { url: gate.url, connections, headers, requests: requestsOf('linked') }, pids: { depgate: gate.proc.pid } }
      ], rounds, seconds, 3)
      const what = `${connections} connections, random serials of ${devices} devices, median of ${rounds} rounds`
      recordFigure({ bench: BENCH, name: `devices/{serial} with the org view req/s, ${what}`, value: joined.rps, unit: 'req/s', baseline: { name: 'the same read of an unlinked server', value: plain.rps }, target: 'ratio ≥ 0.5, no errors', met: joined.rps / plain.rps >= 0.5 && joined.failed === 0 })
      recordFigure({ bench: BENCH, name: 'devices/{serial} with the org view p99', value: joined.p99, unit: 'ms', baseline: { name: 'unlinked server', value: plain.p99 } })
      recordFigure({ bench: BENCH, name: 'devices/{serial} with the org view CPU per request', value: joined.cpuUs.depgate, unit: 'µs', baseline: { name: 'unlinked server', value: plain.cpuUs.depgate } })
    } finally {
      await stop(gate, 'SIGINT')
      gate.cleanup()
    }
  } finally {
    await stop(sim)
  }
}

await main(Number(process.argv[2] ?? 20_000), Number(process.argv[3] ?? 50), Number(process.argv[4] ?? 5), Number(process.argv[5] ?? 3))
