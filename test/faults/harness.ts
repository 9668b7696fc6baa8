/**
 * Runs the fault matrix for a list of endpoint groups: one simulator and one depgate (listening on
 * loopback, short timeouts and fast retries) per group, a fault-free baseline, then every
 * fault × mode × phase cell with the simulator reset in between. Each cell checks that depgate
 * recovered (same answer as the baseline) or answered the fault's documented problem, that an
 * unsafe call was not retried, and that the answer came within a deadline derived from the
 * configured timeouts and retries. MATRIX_DEBUG=1 prints each cell's and each group's time.
 */
import type { Test } from 'tap'
import { request } from 'undici'
import type { DepClientOptions, DepEndpoint } from '../../src/dep/index.js'
import { SimState } from '../../src/simulator/state.js'
import { buildTestApp, until } from '../helper.js'
import { expected, expectedAttempts, FAULTS, modesOf, type FaultSpec, type Mode, type Phase } from './faults.js'
import type { EndpointGroup, Req } from './groups.js'

const RETRIES = 2
const TIMEOUTS = { connectMs: 500, headersMs: 300, bodyMs: 1000 }
const MAX_DELAY_MS = 5
export const CLIENT: Partial<DepClientOptions> = {
  retry: { retries: RETRIES, baseDelayMs: 1, maxDelayMs: MAX_DELAY_MS, maxRetryAfterMs: 1000 },
  timeouts: TIMEOUTS
}
/** undici enforces headersTimeout with a coarse timer (it fires up to about a second late). */
const TIMER_SLACK_MS = 1000
/**
 * The longest a faulted request may take: the faulted call, a /session and the call again after
 * re-authenticating can each spend every attempt on a timeout plus a backoff; 2 s more for the
 * fault-free pages around it and a busy 2-core machine.
 */
export const DEADLINE_MS = 3 * (RETRIES + 1) * (TIMEOUTS.headersMs + TIMER_SLACK_MS + MAX_DELAY_MS) + 2000

export interface Answer {
  status: number
  headers: Record<string, string | string[] | undefined>
  text: string
  json: () => any
  /** NDJSON: the parsed lines. */
  lines?: any[]
  /** The connection was cut before the response ended. */
  cut?: boolean
}

export interface Cell {
  sim: SimState
  n: number
  profileUuid: string
  changesPerSync: number
  serial: (i: number) => string
  call: (req: Req) => Promise<Answer>
}

/** Calls `fn` when the `nth` request for `endpoint` reaches the simulator, before its faults are looked up. */
export function arm (sim: SimState, endpoint: DepEndpoint, nth: number, fn: () => void): { seen: () => number } {
  let seen = 0
  const own = sim as unknown as { count: (e: DepEndpoint) => void }
  own.count = (e) => {
    SimState.prototype.count.call(sim, e)
    if (e !== endpoint) return
    if (++seen === nth) fn()
  }
  return { seen: () => seen }
}

export function reset (sim: SimState, accessSecret: string): void {
  Reflect.deleteProperty(sim, 'count')
  sim.faults.clear()
  sim.config.termsSigned = true
  sim.config.accessDenied = false
  sim.credentials.access_secret = accessSecret
}

async function call (base: string, key: string, req: Req): Promise<Answer> {
  const headers: Record<string, string> = { authorization: `Bearer ${key}` }
  if (req.ndjson === true) headers.accept = 'application/x-ndjson'
  if (req.body !== undefined) headers['content-type'] = 'application/json'
  const res = await request(`${base}${req.path}`, { method: req.method, headers, body: req.body === undefined ? undefined : JSON.stringify(req.body) })
  let text = ''
  let cut = false
  try {
    for await (const chunk of res.body) text += String(chunk)
  } catch {
    // A stream that failed midway is cut off on purpose (its last line says why).
    cut = true
  }
  const answer: Answer = { status: res.statusCode, headers: res.headers, text, json: () => JSON.parse(text), cut }
  if (req.ndjson === true && res.statusCode === 200) answer.lines = text.split('\n').filter((l) => l !== '').map((l) => JSON.parse(l))
  // A JSON list cut off midway: its last field says why (the document never closes).
  const error = text.lastIndexOf('],"error":')
  if (req.ndjson !== true && res.statusCode === 200 && cut && error >= 0) answer.lines = [{ error: JSON.parse(text.slice(error + 10)) }]
  return answer
}

/**
 * The cells of one group: every fault that applies, in each of its modes, at each phase the group
 * has. Faults that leave requests running in the simulator (latency) come last: a request still
 * asleep there would otherwise wake up and take the next cell's fault. Latency is looked up only
 * as a request arrives, so one latency cell cannot steal another's.
 */
export function cellsOf (g: EndpointGroup): Array<{ fault: FaultSpec, mode: Mode, phase: Phase }> {
  const phases: Phase[] = g.paged === undefined ? ['first'] : ['first', 'mid']
  const ordered = [...FAULTS.filter((f) => f.lingers !== true), ...FAULTS.filter((f) => f.lingers === true)]
  return ordered.flatMap((fault) => phases.flatMap((phase) =>
    fault.appliesTo?.(g, phase) === false ? [] : modesOf(fault).map((mode) => ({ fault, mode, phase }))))
}

export async function runGroup (t: Test, g: EndpointGroup): Promise<void> {
  const { app, auth, sim: started } = await buildTestApp(t, {
    // Pages of 5 so a drain of 20 devices has 4 pages to fault in the middle of.
    simulator: { devices: 20, maxLimit: 5 },
    env: { DEPGATE_RATE_LIMIT: '1000000', DEPGATE_MIRROR: 'false' },
    depClientOptions: CLIENT
  })
  await app.listen({ host: '127.0.0.1', port: 0 })
  const address = app.server.address()
  const base = `http://127.0.0.1:${typeof address === 'object' && address !== null ? address.port : 0}`
  const sim = (started as NonNullable<typeof started>).app.sim
  const serials = sim.world.list().map((d) => d.serial_number)
  const accessSecret = sim.credentials.access_secret
  const key = auth().authorization.slice('Bearer '.length)
  const cell: Cell = {
    sim, n: 0, profileUuid: '', changesPerSync: 12, serial: (i) => serials[i], call: async (req) => await call(base, key, req)
  }
  const summary = g.summary ?? ((a: Answer) => ({ status: a.status, keys: Object.keys(a.json()).sort() }))

  const ctx = { headersMs: TIMEOUTS.headersMs }
  const groupStarted = performance.now()
  await g.setup?.(cell)
  const baseline = await cell.call(await g.request(cell))
  t.ok(baseline.status < 500, `${g.name}: baseline answered ${baseline.status}`)
  const want = summary(baseline)

  for (const { fault, mode, phase } of cellsOf(g)) {
    const name = `${g.name} × ${fault.name}${mode === 'once' ? '' : ` (${mode})`}${phase === 'mid' ? ', mid-drain' : ''}`
    cell.n++
    reset(sim, accessSecret)
    const req = await g.request(cell)
    const times = mode === 'burst' ? RETRIES : mode === 'outage' ? 0 : 1
    const attempts = arm(sim, g.endpoint, phase === 'first' ? 1 : 2, () => { fault.inject(sim, g.endpoint, times, ctx) })
    const started = performance.now()
    const res = await cell.call(req)
    const ms = performance.now() - started
    const seen = attempts.seen()
    reset(sim, accessSecret)

    const expect = expected(fault, g, mode)
    const failures: string[] = []
    const check = (ok: boolean, what: string): void => { if (!ok) failures.push(what) }
    check(ms <= DEADLINE_MS, `answered within ${DEADLINE_MS} ms (took ${ms.toFixed(0)})`)
    if (expect.recover) {
      check(res.status === baseline.status, `recovered: status ${res.status}, baseline ${baseline.status}: ${res.text.slice(0, 200)}`)
      if (res.status === baseline.status) check(JSON.stringify(summary(res)) === JSON.stringify(want), `recovered: ${JSON.stringify(summary(res))} is the baseline's ${JSON.stringify(want)}`)
    } else {
      const { status, code, retryAfter } = expect.problem
      // A stream already under way reports the problem in its last line, then is cut off.
      const streamed = res.status === 200 && res.lines !== undefined
      const problem = streamed ? res.lines?.at(-1)?.error : (res.status === status ? res.json() : undefined)
      check(streamed ? res.cut === true : String(res.headers['content-type']).startsWith('application/problem+json'), streamed ? 'the stream was cut off' : 'answered application/problem+json')
      check(problem?.status === status && problem?.code === code, `problem ${status} ${code}: got ${res.status} ${res.text.slice(-300)}`)
      if (retryAfter === true && !streamed) check(res.headers['retry-after'] !== undefined && problem?.retry_after_seconds !== undefined, 'Retry-After given')
    }
    const wantAttempts = g.paged === undefined && phase === 'first' ? expectedAttempts(fault, g, RETRIES) : undefined
    if (wantAttempts !== undefined) check(seen === wantAttempts, `${wantAttempts} request(s) reached Apple, saw ${seen}`)
    if (process.env.MATRIX_DEBUG !== undefined) console.error(`${ms.toFixed(0).padStart(5)} ms ${name}`)
    t.same(failures, [], name)
  }
  // Requests depgate gave up on are still asleep in the simulator: let them end before it closes.
  await until('no request held by a latency fault in the simulator', async () => sim.delayed === 0)
  if (process.env.MATRIX_DEBUG !== undefined) console.error(`${((performance.now() - groupStarted) / 1000).toFixed(1)} s ${g.name}`)
}
