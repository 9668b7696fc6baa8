import type { DepEndpoint } from '../dep/errors.js'
import { isAxmEndpoint, type AxmSimEndpoint } from './axm/state.js'
import { isEndpoint } from './endpoints.js'
import { Prng } from './prng.js'

export const FAULT_KINDS = ['latency', 'status', 'drop', 'truncate', 'same_cursor', 'content_type', 'throttle'] as const
export type FaultKind = typeof FAULT_KINDS[number]

export interface Fault {
  id: number
  endpoint: DepEndpoint | AxmSimEndpoint | '*'
  kind: FaultKind
  /** Requests left to affect; 0 = until cleared. */
  times: number
  /** The share (0, 1] of the matching calls it affects, drawn at random per call; absent = every call. */
  share?: number
  /** latency */
  ms?: number
  /** status */
  status?: number
  code?: string
  /** status: a `Retry-After` header (seconds); throttle: `retry_after_seconds` */
  retryAfter?: number
  /** throttle: how many serials of the request get THROTTLED (default all) */
  count?: number
}

const isCount = (v: unknown): boolean => Number.isSafeInteger(v) && (v as number) >= 0
const isShare = (v: unknown): boolean => typeof v === 'number' && v > 0 && v <= 1

/** Scripted misbehaviour, consumed in the order it was added. */
export class FaultStore {
  private faults: Fault[] = []
  private nextId = 1
  /** Draws for `share` faults: the same sequence of calls fires the same faults in every run. */
  private readonly prng: Prng

  constructor (seed = 1) {
    this.prng = new Prng(seed ^ 0xfa017)
  }

  /** The new fault, or a message saying which field is wrong. */
  add (input: Record<string, unknown>): Fault | string {
    const { endpoint, kind, times = 1, share, ms, status, code, retryAfter, count } = input
    if (endpoint !== '*' && !isEndpoint(endpoint) && !isAxmEndpoint(endpoint)) return 'endpoint must be a DEP endpoint name, an AxM one (axm.<name>) or "*"'
    if (!(FAULT_KINDS as readonly unknown[]).includes(kind)) return `kind must be one of ${FAULT_KINDS.join(', ')}`
    if (!isCount(times)) return 'times must be a non-negative integer'
    if (share !== undefined && !isShare(share)) return 'share must be a number greater than 0 and at most 1'
    if (kind === 'latency' && !isCount(ms)) return 'latency needs ms'
    if (kind === 'status' && !(Number.isSafeInteger(status) && (status as number) >= 400 && (status as number) <= 599)) return 'status needs an HTTP error status (400-599)'
    if (code !== undefined && (typeof code !== 'string' || !/^[A-Za-z0-9_]*$/.test(code))) return 'code must be an error code'
    if (retryAfter !== undefined && !isCount(retryAfter)) return 'retryAfter must be a non-negative integer'
    if (count !== undefined && !isCount(count)) return 'count must be a non-negative integer'
    const fault: Fault = { id: this.nextId++, endpoint, kind: kind as FaultKind, times: times as number }
    for (const [key, value] of Object.entries({ share, ms, status, code, retryAfter, count })) {
      if (value !== undefined) (fault as unknown as Record<string, unknown>)[key] = value
    }
    this.faults.push(fault)
    return fault
  }

  /**
   * Consumes one use of the first fault of this kind aimed at the endpoint that fires on this call.
   * A fault with a `share` fires when its draw says so; when it does not, the call is not counted
   * against its `times` and the next matching fault gets its chance.
   */
  take (endpoint: DepEndpoint | AxmSimEndpoint, kind: FaultKind): Fault | undefined {
    const fault = this.faults.find((f) => f.kind === kind && (f.endpoint === endpoint || f.endpoint === '*') && (f.share === undefined || this.prng.next() < f.share))
    if (fault === undefined) return undefined
    if (fault.times === 1) this.remove(fault.id)
    else if (fault.times > 1) fault.times--
    return fault
  }

  list (): Fault[] {
    return this.faults.map((f) => ({ ...f }))
  }

  remove (id: number): boolean {
    const before = this.faults.length
    this.faults = this.faults.filter((f) => f.id !== id)
    return this.faults.length < before
  }

  clear (): number {
    const n = this.faults.length
    this.faults = []
    return n
  }
}
