/**
 * The dashboard's device table on a 100,000-device mirror (SQLite), depgate and the simulator as
 * child processes from the compiled build:
 *   1. time to the last byte of `/ui/servers/default/devices`, first page, filtered, and sorted
 *      (median of `samples` each), against `GET …/devices?limit=50` (JSON) for the same query in
 *      the same run: what rendering the page adds to reading it;
 *   2. depgate's RSS over 1,000 page loads (the three pages in turn, four at a time): before the
 *      first, after the first 100 (warm) and at the end, and the slope of the reads taken every 20
 *      loads after the warm-up (least squares, MiB per 1,000 loads): steady means a slope near 0.
 *
 *   npx tsc -p bench/tsconfig.json && node dist/bench/dashboard.js [devices=100000] [samples=30] [loads=1000]
 */
import { request } from 'undici'
import { recordFigure } from './figures.js'
import { ADMIN_KEY, procMiB, startDepgateProcess, startSimulatorProcess, stop } from './processes.js'
import { median } from './rounds.js'

const BENCH = 'dashboard'
const sleep = async (ms: number): Promise<void> => { await new Promise((resolve) => setTimeout(resolve, ms)) }
const auth = { authorization: `Bearer ${ADMIN_KEY}` }

/** Signs in through the form as a browser does; answers the Cookie header of the session. */
async function signIn (url: string): Promise<string> {
  const form = await request(`${url}/ui/sign-in`)
  const body = await form.body.text()
  const csrfCookie = String(form.headers['set-cookie']).split(';')[0]
  const token = /name="_csrf" value="([^"]+)"/.exec(body)?.[1] ?? ''
  const res = await request(`${url}/ui/sign-in`, {
    method: 'POST',
    headers: { cookie: csrfCookie, 'content-type': 'application/x-www-form-urlencoded' },
    body: new URLSearchParams({ key: ADMIN_KEY, _csrf: token }).toString()
  })
  await res.body.dump()
  const session = ([res.headers['set-cookie']].flat() as string[]).find((c) => c.startsWith('depgate_session='))
  if (res.statusCode !== 303 || session === undefined) throw new Error(`sign-in failed: HTTP ${res.statusCode}`)
  return session.split(';')[0]
}

/** The least-squares slope of RSS (MiB) over page loads, per 1,000 loads. */
function slopePer1000 (points: Array<[number, number]>): number {
  const n = points.length
  const mx = points.reduce((a, [x]) => a + x, 0) / n
  const my = points.reduce((a, [, y]) => a + y, 0) / n
  const sxy = points.reduce((a, [x, y]) => a + (x - mx) * (y - my), 0)
  const sxx = points.reduce((a, [x]) => a + (x - mx) ** 2, 0)
  return sxx === 0 ? 0 : 1000 * sxy / sxx
}

/** Milliseconds to the last byte of one GET. */
async function timed (url: string, headers: Record<string, string>): Promise<number> {
  const started = process.hrtime.bigint()
  const res = await request(url, { headers })
  await res.body.dump()
  if (res.statusCode !== 200) throw new Error(`GET ${url}: HTTP ${res.statusCode}`)
  return Number(process.hrtime.bigint() - started) / 1e6
}

async function main (): Promise<void> {
  const devices = Number(process.argv[2] ?? 100_000)
  const samples = Number(process.argv[3] ?? 30)
  const loads = Number(process.argv[4] ?? 1000)
  const sim = await startSimulatorProcess(devices)
  // Plain HTTP to 127.0.0.1: the bench's client keeps cookies by hand, the Secure flag is moot.
  const gate = await startDepgateProcess(sim.url, { DEPGATE_LOG_LEVEL: 'warn', DEPGATE_SYNC_PAGE_SIZE: '1000', DEPGATE_UI_INSECURE_COOKIES: 'true' })
  try {
    for (;;) {
      const res = await request(`${gate.url}/v1/servers/default`, { headers: auth })
      const { inventory } = await res.body.json() as { inventory: { ready: boolean, syncing: boolean } }
      if (inventory.ready && !inventory.syncing) break
      await sleep(200)
    }
    const cookie = await signIn(gate.url)
    const queries: Array<[string, string]> = [
      ['first page', ''],
      ['filtered (os=iOS, family iPhone)', 'os=iOS&device_family=iPhone'],
      ['sorted (model, descending)', 'sort=model&order=desc']
    ]
    for (const [name, query] of queries) {
      const page = `${gate.url}/ui/servers/default/devices?${query}`
      const json = `${gate.url}/v1/servers/default/devices?limit=50&${query}`
      const pageMs: number[] = []
      const jsonMs: number[] = []
      // Alternating, after one warm-up of each: both sides meet the same minute of this shared machine.
      await timed(page, { cookie })
      await timed(json, auth)
      for (let i = 0; i < samples; i++) {
        pageMs.push(await timed(page, { cookie }))
        jsonMs.push(await timed(json, auth))
      }
      const value = median(pageMs)
      recordFigure({ bench: BENCH, name: `devices page, ${name}, ${devices} devices`, value, unit: 'ms', baseline: { name: 'GET …/devices?limit=50, same query', value: median(jsonMs) }, target: 'median < 100 ms', met: value < 100, note: `median of ${samples}` })
    }
    const pid = gate.proc.pid as number
    // Four browsers at a time, each page in turn. RSS is read before the loads, every 20 loads, and
    // at the end; the slope is the least-squares line through the reads after the first 100 (warm).
    const CONCURRENT = 4
    const EVERY = 20 // a multiple of CONCURRENT (and WARM of EVERY): reads land on whole rounds
    const WARM = 100
    if (loads < WARM + EVERY) throw new Error(`loads must be at least ${WARM + EVERY}: the slope needs reads after the warm-up`)
    const start = procMiB(pid, 'VmRSS')
    const reads: Array<[number, number]> = []
    for (let i = 0; i < loads; i += CONCURRENT) {
      await Promise.all(Array.from({ length: CONCURRENT }, async (_, j) => await timed(`${gate.url}/ui/servers/default/devices?${queries[(i + j) % queries.length][1]}`, { cookie })))
      const done = i + CONCURRENT
      if (done % EVERY === 0 && done >= WARM) reads.push([done, procMiB(pid, 'VmRSS')])
    }
    const warm = reads[0][1]
    const end = procMiB(pid, 'VmRSS')
    const slope = slopePer1000(reads)
    console.log(`[${BENCH}] RSS every ${EVERY} loads after warm-up (MiB): ${reads.map(([, r]) => r.toFixed(1)).join(' ')}`)
    recordFigure({ bench: BENCH, name: 'RSS after the first 100 page loads (warm)', value: warm, unit: 'MiB', baseline: { name: 'RSS at the start of the loads (after the render-time samples)', value: start } })
    recordFigure({ bench: BENCH, name: `RSS after ${loads} page loads`, value: end, unit: 'MiB', baseline: { name: 'RSS after the first 100 (warm)', value: warm }, target: 'growth < 32 MiB', met: end - warm < 32 })
    recordFigure({ bench: BENCH, name: `RSS slope from load 100 to ${loads}`, value: slope, unit: 'MiB per 1,000 loads', target: '< 8 MiB per 1,000 loads', met: slope < 8, note: `least squares over ${reads.length} reads, one every ${EVERY} loads` })
  } finally {
    await stop(gate, 'SIGINT')
    gate.cleanup()
    await stop(sim)
  }
}

main().catch((err: unknown) => {
  console.error(err)
  process.exitCode = 1
})
