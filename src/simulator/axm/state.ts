/**
 * Everything the simulator knows about the AxM side: accounts and tokens, the organisation, the
 * per-account rate limit buckets and request counts. `app.sim.axm`.
 */
import { randomBytes } from 'node:crypto'
import { AXM_ENDPOINTS, type AxmEndpoint } from '../../axm/errors.js'
import type { World } from '../world.js'
import { AxmAuth } from './auth.js'
import { OrgWorld } from './org.js'

export type AxmSimEndpoint = `axm.${AxmEndpoint}`
export const AXM_SIM_ENDPOINTS = AXM_ENDPOINTS.map((e): AxmSimEndpoint => `axm.${e}`)

export function isAxmEndpoint (value: unknown): value is AxmSimEndpoint {
  return (AXM_SIM_ENDPOINTS as readonly unknown[]).includes(value)
}

function zero (): Record<AxmEndpoint, number> {
  return Object.fromEntries(AXM_ENDPOINTS.map((e) => [e, 0])) as Record<AxmEndpoint, number>
}

export class AxmSim {
  readonly auth = new AxmAuth()
  readonly org: OrgWorld
  /** Signs the activity log links (the presigned `downloadUrl`, docs/apple-axm.md §5.3). */
  readonly logSecret = randomBytes(32)
  requests = zero()
  private readonly windows = new Map<string, { start: number, count: number }>()

  constructor (world: World, depServer: { id: string, name: string }, seed: number, orgDevices: number) {
    this.org = new OrgWorld(world, depServer, seed, orgDevices)
  }

  count (endpoint: AxmEndpoint): void {
    this.requests[endpoint]++
  }

  stats (): { requests: Record<AxmEndpoint, number>, tokensIssued: number } {
    return { requests: { ...this.requests }, tokensIssued: this.auth.issued }
  }

  resetStats (): void {
    this.requests = zero()
    this.auth.issued = 0
  }

  /**
   * A fixed-window rate limit per account and method (docs/apple-axm.md §6: about 20 GETs a minute
   * and 10 POSTs an hour, measured by one client). Seconds to wait, or undefined when allowed.
   */
  throttle (clientId: string, method: string, nowMs: number, limit: number, windowMs: number): number | undefined {
    const key = `${clientId} ${method}`
    let window = this.windows.get(key)
    if (window === undefined || nowMs >= window.start + windowMs) {
      window = { start: nowMs, count: 0 }
      this.windows.set(key, window)
    }
    if (window.count >= limit) return Math.max(1, Math.ceil((window.start + windowMs - nowMs) / 1000))
    window.count++
    return undefined
  }
}
