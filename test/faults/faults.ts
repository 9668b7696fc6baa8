/**
 * The second list of the fault matrix: what Apple (or the network in front of it) can do wrong,
 * each with its class and the documented problem depgate answers when it cannot recover. The
 * expected outcome of a cell is derived from the fault's class and the group's traits, never
 * written per cell:
 *
 * - `transient` (timeouts, dropped connections, 5xx, 429): a burst shorter than the retries is
 *   outlived by safe calls; an outage, or any failure of a call that must not run twice, is the
 *   fault's problem, after exactly one attempt for an unsafe call.
 * - `body` (truncated JSON, an HTML page with 200): no retry can be trusted to help, so a 502,
 *   unless depgate never reads that body (then the call succeeded).
 * - `session` (expired under depgate's feet): re-authenticate once and carry on, for every call.
 * - `refusal` (terms not signed, access denied, a revoked token, an expired or looping cursor):
 *   the fault's problem, at once.
 *
 * Every fault is injected in-process at the moment the armed request reaches the simulator (see
 * harness.ts), so "in the middle of a drain" is exact, not timed.
 */
import type { DepEndpoint } from '../../src/dep/index.js'
import type { SimState } from '../../src/simulator/state.js'
import type { EndpointGroup } from './groups.js'

export type FaultClass = 'transient' | 'body' | 'session' | 'refusal'
/** `burst`: fails `retries` times then heals; `outage`: fails until cleared; `once`: a single event. */
export type Mode = 'burst' | 'outage' | 'once'
export type Phase = 'first' | 'mid'

export interface Problem { status: number, code: string, retryAfter?: boolean }

export interface FaultSpec {
  name: string
  class: FaultClass
  /** What depgate answers when it does not recover. */
  problem?: Problem
  /** Only where the fault can happen at all (cursor faults need a cursor in the request). */
  appliesTo?: (g: EndpointGroup, phase: Phase) => boolean
  /** Injects the fault now; `times` is 0 for an outage. */
  inject: (sim: SimState, endpoint: DepEndpoint, times: number, ctx: FaultContext) => void
  /** A faulted request keeps running in the simulator after depgate gave up on it (SimState.delayed counts it). */
  lingers?: boolean
}

export interface FaultContext { headersMs: number }

const EIGHT_DAYS = 8 * 24 * 3_600_000
const statusFault = (status: number, extra: Record<string, unknown> = {}) =>
  (sim: SimState, endpoint: DepEndpoint, times: number): void => { sim.faults.add({ endpoint, kind: 'status', status, times, ...extra }) }

export const FAULTS: FaultSpec[] = [
  {
    name: 'latency past the client timeout',
    class: 'transient',
    problem: { status: 504, code: 'UPSTREAM_TIMEOUT' },
    // undici checks headersTimeout on a timer that ticks about every 500 ms: the answer must come
    // later than the timeout can fire, so the timeout is what ends the wait.
    inject: (sim, endpoint, times, ctx) => { sim.faults.add({ endpoint, kind: 'latency', ms: ctx.headersMs + 1500, times }) },
    lingers: true
  },
  { name: 'HTTP 500', class: 'transient', problem: { status: 502, code: 'UPSTREAM_ERROR' }, inject: statusFault(500) },
  { name: 'HTTP 502', class: 'transient', problem: { status: 502, code: 'UPSTREAM_ERROR' }, inject: statusFault(502) },
  { name: 'HTTP 503', class: 'transient', problem: { status: 502, code: 'UPSTREAM_ERROR' }, inject: statusFault(503) },
  // Retry-After 0 is within any cap, so a burst is retried at once; see the long one below.
  { name: '429 with Retry-After: 0', class: 'transient', problem: { status: 429, code: 'UPSTREAM_THROTTLED', retryAfter: true }, inject: statusFault(429, { retryAfter: 0 }) },
  {
    name: '429 with a Retry-After beyond the cap',
    class: 'refusal',
    problem: { status: 429, code: 'UPSTREAM_THROTTLED', retryAfter: true },
    inject: statusFault(429, { retryAfter: 3600 })
  },
  {
    name: '503 with a Retry-After beyond the cap',
    class: 'refusal',
    problem: { status: 503, code: 'UPSTREAM_THROTTLED', retryAfter: true },
    inject: statusFault(503, { retryAfter: 3600 })
  },
  {
    name: 'connection dropped before the answer',
    class: 'transient',
    problem: { status: 502, code: 'UPSTREAM_UNREACHABLE' },
    inject: (sim, endpoint, times) => { sim.faults.add({ endpoint, kind: 'drop', times }) }
  },
  {
    name: 'truncated JSON body',
    class: 'body',
    problem: { status: 502, code: 'UPSTREAM_INVALID_RESPONSE' },
    inject: (sim, endpoint) => { sim.faults.add({ endpoint, kind: 'truncate', times: 1 }) }
  },
  {
    name: 'wrong content type (an HTML page with 200)',
    class: 'body',
    problem: { status: 502, code: 'UPSTREAM_INVALID_RESPONSE' },
    inject: (sim, endpoint) => { sim.faults.add({ endpoint, kind: 'content_type', times: 1 }) }
  },
  {
    name: 'session expired',
    class: 'session',
    inject: (sim) => { sim.sessions.expireAll(sim.now()) }
  },
  {
    name: 'terms and conditions not signed',
    class: 'refusal',
    problem: { status: 403, code: 'T_C_NOT_SIGNED' },
    inject: (sim) => { sim.config.termsSigned = false }
  },
  {
    name: 'access denied',
    class: 'refusal',
    problem: { status: 403, code: 'ACCESS_DENIED' },
    inject: (sim) => { sim.config.accessDenied = true }
  },
  {
    // Apple stops accepting the server token: the session dies and a new one is refused.
    name: 'server token revoked',
    class: 'refusal',
    problem: { status: 502, code: 'OAUTH_REJECTED' },
    inject: (sim) => {
      sim.credentials.access_secret = 'AS_revoked'
      sim.sessions.expireAll(sim.now())
    }
  },
  {
    // The real thing: the simulator's clock moves 8 days on, past Apple's 7-day cursor lifetime.
    name: 'cursor expired',
    class: 'refusal',
    problem: { status: 409, code: 'EXPIRED_CURSOR' },
    appliesTo: (g) => g.paged === 'sync',
    inject: (sim) => { sim.clock.advance(EIGHT_DAYS) }
  },
  {
    name: 'Apple repeats the cursor it was sent',
    class: 'refusal',
    problem: { status: 502, code: 'SAME_CURSOR' },
    // A fetch sends no cursor on its first page, so there is nothing to repeat there.
    appliesTo: (g, phase) => g.paged === 'sync' || (g.paged === 'fetch' && phase === 'mid'),
    inject: (sim, endpoint) => { sim.faults.add({ endpoint, kind: 'same_cursor', times: 1 }) }
  }
]

export type Expected = { recover: true } | { recover: false, problem: Problem }

export function modesOf (f: FaultSpec): Mode[] {
  return f.class === 'transient' ? ['burst', 'outage'] : ['once']
}

export function expected (f: FaultSpec, g: EndpointGroup, mode: Mode): Expected {
  const fail = (): Expected => ({ recover: false, problem: f.problem as Problem })
  switch (f.class) {
    case 'transient': return g.safe && mode === 'burst' ? { recover: true } : fail()
    case 'body': return g.readsBody ? fail() : { recover: true }
    case 'session': return { recover: true }
    case 'refusal': return fail()
  }
}

/**
 * Requests the simulator sees for the faulted call of a single-call group: a safe call is retried
 * until it succeeds or the retries run out; an unsafe one is sent once; a rejected session costs
 * one more attempt after re-authenticating. Undefined where it is not fixed by the class.
 */
export function expectedAttempts (f: FaultSpec, g: EndpointGroup, retries: number): number | undefined {
  if (f.class === 'transient') return g.safe ? retries + 1 : 1
  if (f.class === 'session') return 2
  if (f.class === 'body') return 1
  return undefined
}
