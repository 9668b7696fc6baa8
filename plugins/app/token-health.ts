/**
 * Token health beside the registry: Prometheus gauges (days until expiry, token valid, terms not
 * signed), expiry warnings in the log at 30, 14, 7 and 1 days left and at expiry (checked at start
 * and daily, on `fastify.scheduler`). The token events it finds reach webhooks through the outbox
 * (plugins/app/webhooks.ts), DEPGATE_TOKEN_WEBHOOK_URL included.
 */
import fp from 'fastify-plugin'
import { Gauge } from 'prom-client'
import type { DepServerRegistry } from '../../src/servers/types.js'

export const WARN_DAYS = [30, 14, 7, 1] as const
const DAY_MS = 86_400_000

export interface TokenHealthOptions {
  /** How often expiry is checked (default daily). */
  checkIntervalMs?: number
}

/** Which expiry events are due now; `warned` remembers what was already said, per server and token. */
export function dueExpiryEvents (registry: DepServerRegistry, warned: Set<string>): Array<{ type: 'token.expiring' | 'token.expired', server: string, days_left: number }> {
  const due: Array<{ type: 'token.expiring' | 'token.expired', server: string, days_left: number }> = []
  for (const s of registry.list()) {
    if (s.token_days_left === null) continue
    const id = `${s.name}\0${s.token_fingerprint}\0${String(s.token_expires_at)}`
    if (s.token_expired) {
      if (!warned.has(`${id}\0expired`)) due.push({ type: 'token.expired', server: s.name, days_left: s.token_days_left })
      warned.add(`${id}\0expired`)
      continue
    }
    const threshold = [...WARN_DAYS].reverse().find((d) => s.token_days_left! < d)
    if (threshold === undefined || warned.has(`${id}\0${threshold}`)) continue
    // Mark the larger thresholds too: a token first seen with 5 days left warns once, not three times.
    for (const d of WARN_DAYS) if (d >= threshold) warned.add(`${id}\0${d}`)
    due.push({ type: 'token.expiring', server: s.name, days_left: s.token_days_left })
  }
  return due
}

export function createTokenHealthPlugin (opts: TokenHealthOptions = {}) {
  return fp(async function tokenHealth (fastify) {
    const registry = fastify.depServers
    const scheduler = fastify.scheduler
    const register = fastify.metrics.registry
    const servers = () => registry.list()
    const gauges = [new Gauge({
      name: 'depgate_token_days_left',
      help: 'Whole days until the server token expires (negative once expired); absent for tokens without an expiry',
      labelNames: ['server'] as const,
      registers: [register],
      collect () {
        this.reset()
        for (const s of servers()) if (s.token_days_left !== null) this.set({ server: s.name }, s.token_days_left)
      }
    }), new Gauge({
      name: 'depgate_token_valid',
      help: '1 while the server token has not expired, else 0',
      labelNames: ['server'] as const,
      registers: [register],
      collect () {
        this.reset()
        for (const s of servers()) this.set({ server: s.name }, s.token_expired ? 0 : 1)
      }
    }), new Gauge({
      name: 'depgate_terms_not_signed',
      help: '1 while Apple answers T_C_NOT_SIGNED for this server (new terms to accept), else 0',
      labelNames: ['server'] as const,
      registers: [register],
      collect () {
        this.reset()
        for (const s of servers()) this.set({ server: s.name }, s.terms_not_signed ? 1 : 0)
      }
    })]

    const warned = new Set<string>()
    const check = (): void => {
      for (const e of dueExpiryEvents(registry, warned)) registry.emitTokenEvent(e.type, e.server, { days_left: e.days_left })
    }
    fastify.decorate('checkTokenHealth', check)
    check()
    const stopChecks = scheduler.every(opts.checkIntervalMs ?? DAY_MS, check)
    fastify.addHook('onClose', async () => {
      stopChecks()
      for (const g of gauges) g.reset()
    })
  }, { name: 'depgate-token-health', dependencies: ['depgate-metrics', 'depgate-dep-servers', 'depgate-scheduler'] })
}

declare module 'fastify' {
  interface FastifyInstance {
    /** Runs the expiry check now (the daily timer's job). */
    checkTokenHealth: () => void
  }
}
