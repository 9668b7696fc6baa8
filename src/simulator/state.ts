import { createHash } from 'node:crypto'
import type { DepEndpoint } from '../dep/errors.js'
import type { ServerToken } from '../dep/token.js'
import { SimClock } from './clock.js'
import { zeroCounts } from './endpoints.js'
import { FaultStore } from './faults.js'
import { applyConfig, DEFAULT_CONFIG, DEPSIM_CREDENTIALS, type SimulatorConfig, type SimulatorOptions } from './options.js'
import { Prng } from './prng.js'
import { SessionStore } from './sessions.js'
import { World } from './world.js'
import { AxmSim } from './axm/state.js'

/** Everything a running simulator knows; exposed as `app.sim` for tests and the control API. */
export class SimState {
  readonly config: SimulatorConfig
  readonly clock: SimClock
  readonly world: World
  readonly sessions = new SessionStore()
  readonly faults: FaultStore
  readonly credentials: ServerToken
  readonly account: Record<string, unknown>
  readonly betaTokens: Array<{ token: string, title: string, os: string }>
  /** The AxM organisation whose MDM servers include this DEP server. */
  readonly axm: AxmSim
  requests = zeroCounts()
  /** Requests whose client closed the connection before the answer was complete (see hooks.ts). */
  abandoned = zeroCounts()
  /** Requests held by a latency fault now (hooks.ts), including those whose client has given up. */
  delayed = 0

  constructor (opts: SimulatorOptions = {}) {
    this.config = structuredClone(DEFAULT_CONFIG)
    const { devices = 500, seed = 1, credentials = DEPSIM_CREDENTIALS, clock, logger, orgDevices = 100, ...config } = opts
    const bad = applyConfig(this.config, config)
    if (bad !== undefined) throw new TypeError(`invalid simulator option ${bad}`)
    if (!Number.isSafeInteger(devices) || devices < 0) throw new TypeError('invalid simulator option devices')
    if (!Number.isSafeInteger(orgDevices) || orgDevices < 0) throw new TypeError('invalid simulator option orgDevices')
    this.credentials = { ...credentials }
    this.clock = new SimClock(clock)
    this.world = new World(seed, devices)
    // The same seed, the same calls faulted by a fault with a `share`.
    this.faults = new FaultStore(seed)
    const prng = new Prng(seed ^ 0x5eed)
    const orgId = String(1_000_000 + prng.int(8_999_999))
    this.account = {
      server_name: 'depgate simulator',
      server_uuid: prng.hex(32),
      admin_id: 'admin@example.com',
      facilitator_id: 'admin@example.com',
      org_name: 'Example Inc.',
      org_email: 'it@example.com',
      org_phone: '+1 555 0100',
      org_address: '1 Infinite Loop, Cupertino, CA 95014, USA',
      org_id: orgId,
      org_id_hash: createHash('sha256').update(orgId).digest('hex'),
      org_version: 'v2'
    }
    // Its AxM id is the DEP server's uuid in AxM's spelling (32 upper-case hex, docs/apple-axm.md §2.0).
    this.axm = new AxmSim(this.world, { id: String(this.account.server_uuid).toUpperCase(), name: String(this.account.server_name) }, seed, orgDevices)
    this.betaTokens = [
      { token: prng.hex(40), title: 'iOS 27 Beta', os: 'iOS' },
      { token: prng.hex(40), title: 'macOS 27 Beta', os: 'OSX' }
    ]
  }

  now (): number {
    return this.clock.now()
  }

  count (endpoint: DepEndpoint): void {
    this.requests[endpoint]++
  }

  countAbandoned (endpoint: DepEndpoint): void {
    this.abandoned[endpoint]++
  }

  stats (): { requests: Record<DepEndpoint, number>, abandoned: Record<DepEndpoint, number>, sessionsIssued: number, sessionsRotated: number } {
    return { requests: { ...this.requests }, abandoned: { ...this.abandoned }, sessionsIssued: this.sessions.issued, sessionsRotated: this.sessions.rotated }
  }

  resetStats (): void {
    this.requests = zeroCounts()
    this.abandoned = zeroCounts()
    this.sessions.issued = 0
    this.sessions.rotated = 0
  }
}
