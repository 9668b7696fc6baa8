/**
 * The org mirror's first refresh of a large organisation (docs/apple-axm.md §5: no change cursor,
 * the whole list is paged): `depgate simulate` with `n` organisation devices, `depgate serve` given
 * the org through `PUT /v1/orgs/acme`, timed from the PUT to the mirror's first completed refresh.
 * Figures: Apple calls made (read from the simulator's counters) against the floor ⌈n / 1000⌉ of
 * device pages, the wall time at the given request budget, and depgate's peak RSS above idle.
 *
 *   node dist/bench/orgs.js [devices=100000] [budget=600] [budget …]   # requests per minute; 20 is the default
 */
import { request } from 'undici'
import { recordFigure } from './figures.js'
import { ADMIN_KEY, procMiB, resetPeak, spawnUntilUrl, startDepgateProcess, stop } from './processes.js'
import { join } from 'node:path'

const CLI = join(import.meta.dirname, '..', 'src', 'cli.js')
const devices = Number(process.argv[2] ?? 100_000)
const budgets = process.argv.length > 3 ? process.argv.slice(3).map(Number) : [600]
/** docs/apple-axm.md §3: the maximum page size, which the client always asks for. */
const PAGE = 1000
const DEP_DEVICES = 100

async function json (url: string, method = 'GET', body?: unknown): Promise<any> {
  const res = await request(url, {
    method: method as 'GET',
    headers: { authorization: `Bearer ${ADMIN_KEY}`, ...(body === undefined ? {} : { 'content-type': 'application/json' }) },
    body: body === undefined ? undefined : JSON.stringify(body)
  })
  const text = await res.body.text()
  if (res.statusCode >= 300) throw new Error(`${method} ${url}: ${res.statusCode} ${text}`)
  return JSON.parse(text)
}

async function run (budget: number): Promise<void> {
  const sim = await spawnUntilUrl([CLI, 'simulate', '--port', '0', '--devices', String(DEP_DEVICES), '--org-devices', String(devices - DEP_DEVICES), '--session-ttl', '86400'], 'simulator')
  const depgate = await startDepgateProcess(sim.url, { DEPGATE_ORG_REQUEST_BUDGET: String(budget) })
  try {
    const account = await json(`${sim.url}/_sim/axm/keys`, 'POST', {})
    await new Promise((resolve) => setTimeout(resolve, 500))
    const idle = procMiB(depgate.proc.pid!, 'VmRSS')
    const peakReset = resetPeak(depgate.proc.pid!)
    await json(`${sim.url}/_sim/axm/stats/reset`, 'POST', {})
    const started = performance.now()
    await json(`${depgate.url}/v1/orgs/acme`, 'PUT', { client_id: account.clientId, key_id: account.keyId, private_key: account.privateKey, base_url: sim.url, token_url: `${sim.url}/auth/oauth2/token` })
    let org: any
    for (;;) {
      org = await json(`${depgate.url}/v1/orgs/acme`)
      if (org.mirror.last_refresh_at !== null) break
      await new Promise((resolve) => setTimeout(resolve, 200))
    }
    const seconds = (performance.now() - started) / 1000
    const peak = procMiB(depgate.proc.pid!, 'VmHWM')
    const stats = await json(`${sim.url}/_sim/axm/stats`) as { requests: Record<string, number>, tokensIssued: number }
    const gets = Object.entries(stats.requests).filter(([name]) => name !== 'token').reduce((sum, [, n]) => sum + n, 0)
    const floor = Math.ceil(devices / PAGE)
    const note = `${budget} GETs/min; ${org.mirror.device_count as number} devices mirrored; calls by endpoint ${JSON.stringify(stats.requests)}, ${stats.tokensIssued} token(s)`
    recordFigure({ bench: 'orgs', name: `org device pages, ${devices} devices`, value: stats.requests.org_devices, unit: 'count', baseline: { name: `floor ⌈n/${PAGE}⌉`, value: floor }, target: '= floor', met: stats.requests.org_devices === floor, note })
    recordFigure({ bench: 'orgs', name: `Apple GETs in all (MDM servers and their serials too), ${devices} devices`, value: gets, unit: 'count', baseline: { name: 'device-page floor', value: floor }, note })
    recordFigure({ bench: 'orgs', name: `first refresh at ${budget} GETs/min, ${devices} devices`, value: seconds, unit: 's', baseline: { name: `budget floor: ${gets} GETs at ${budget}/min`, value: (gets - 1) * 60 / budget }, note })
    recordFigure({ bench: 'orgs', name: `depgate peak RSS above idle during the refresh (${budget} GETs/min)`, value: peak - idle, unit: 'MiB', baseline: { name: 'idle RSS', value: idle }, note: peakReset ? note : `${note}; peak since start (clear_refs refused)` })
  } finally {
    await stop(depgate)
    depgate.cleanup()
    await stop(sim)
  }
}

for (const budget of budgets) await run(budget)
