import type { DepEndpoint } from '../dep/errors.js'
import { isEndpoint } from './endpoints.js'

export const FAULT_KINDS = ['latency', 'status', 'drop', 'truncate', 'same_cursor', 'content_type', 'throttle'] as const
export type FaultKind = typeof FAULT_KINDS[number]

export interface Fault {
  id: number
  endpoint: DepEndpoint | '*'
  kind: FaultKind
  /** Requests left to affect; 0 = until cleared. */
  times: number
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

/** Scripted misbehaviour, consumed in the order it was added. */
export class FaultStore {
  private faults: Fault[] = []
  private nextId = 1

  /** The new fault, or a message saying which field is wrong. */
  add (input: Record<string, unknown>): Fault | string {
    const { endpoint, kind, times = 1, ms, status, code, retryAfter, count } = input
    if (endpoint !== '*' && !isEndpoint(endpoint)) return 'endpoint must be a DEP endpoint name or "*"'
    if (!(FAULT_KINDS as readonly unknown[]).includes(kind)) return `kind must be one of ${FAULT_KINDS.join(', ')}`
    if (!isCount(times)) return 'times must be a non-negative integer'
    if (kind === 'latency' && !isCount(ms)) return 'latency needs ms'
    if (kind === 'status' && !(Number.isSafeInteger(status) && (status as number) >= 400 && (status as number) <= 599)) return 'status needs an HTTP error status (400-599)'
    if (code !== undefined && (typeof code !== 'string' || !/^[A-Za-z0-9_]*$/.test(code))) return 'code must be an error code'
    if (retryAfter !== undefined && !isCount(retryAfter)) return 'retryAfter must be a non-negative integer'
    if (count !== undefined && !isCount(count)) return 'count must be a non-negative integer'
    const fault: Fault = { id: this.nextId++, endpoint, kind: kind as FaultKind, times: times as number }
    for (const [key, value] of Object.entries({ ms, status, code, retryAfter, count })) {
      if (value !== undefined) (fault as unknown as Record<string, unknown>)[key] = value
    }
    this.faults.push(fault)
    return fault
  }

  /** Consumes one use of the first fault of this kind aimed at the endpoint. */
  take (endpoint: DepEndpoint, kind: FaultKind): Fault | undefined {
    const fault = this.faults.find((f) => f.kind === kind && (f.endpoint === endpoint || f.endpoint === '*'))
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
