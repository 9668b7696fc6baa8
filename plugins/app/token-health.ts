/**
 * Token health beside the registry: Prometheus gauges (days until expiry, token valid, terms not
 * signed), expiry warnings in the log at 30, 14, 7 and 1 days left and at expiry (checked at start
 * and daily, on `fastify.scheduler`), and the optional webhook that receives every token event,
 * signed with HMAC-SHA256. The webhook never blocks a request and never carries a secret.
 */
import { createHmac } from 'node:crypto'
import fp from 'fastify-plugin'
import { Gauge } from 'prom-client'
import { request } from 'undici'
import { delay } from '../../src/scheduler.js'
import type { TokenEvent } from '../../src/api/server-info.js'
import type { DepServerRegistry } from '../../src/servers/types.js'

export const WARN_DAYS = [30, 14, 7, 1] as const
const DAY_MS = 86_400_000

export interface TokenHealthOptions {
  webhook?: { url: string, secret: string }
  /** How often expiry is checked (default daily). */
  checkIntervalMs?: number
  /** Webhook attempts per event (default 3) and the first retry delay (default 1 s, doubling). */
  webhookAttempts?: number
  webhookRetryMs?: number
}

/** `sha256=<hex>` over `<timestamp>.<body>`: the timestamp is signed too, so a captured event cannot be replayed later as new. */
export function signWebhook (secret: string, timestamp: string, body: string): string {
  return `sha256=${createHmac('sha256', secret).update(`${timestamp}.${body}`).digest('hex')}`
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

    const pending = new Set<Promise<void>>()
    const webhook = opts.webhook
    if (webhook !== undefined) {
      const attempts = opts.webhookAttempts ?? 3
      const retryMs = opts.webhookRetryMs ?? 1000
      const deliver = async (event: TokenEvent): Promise<void> => {
        const body = JSON.stringify(event)
        for (let attempt = 1; attempt <= attempts; attempt++) {
          const timestamp = String(Math.floor(scheduler.now() / 1000))
          try {
            const res = await request(webhook.url, {
              method: 'POST',
              headers: { 'content-type': 'application/json', 'x-depgate-event': event.type, 'x-depgate-timestamp': timestamp, 'x-depgate-signature': signWebhook(webhook.secret, timestamp, body) },
              body,
              headersTimeout: 10_000,
              bodyTimeout: 10_000
            })
            await res.body.dump()
            if (res.statusCode < 300) return
            fastify.log.warn({ event: event.type, server: event.server, status: res.statusCode, attempt }, 'token webhook refused the event')
          } catch (err) {
            fastify.log.warn({ event: event.type, server: event.server, err: (err as Error).message, attempt }, 'token webhook could not be reached')
          }
          if (attempt < attempts) await delay(scheduler, retryMs * 2 ** (attempt - 1))
        }
      }
      registry.onTokenEvent((event) => {
        const p = deliver(event).finally(() => { pending.delete(p) })
        pending.add(p)
      })
    }

    const warned = new Set<string>()
    const check = (): void => {
      for (const e of dueExpiryEvents(registry, warned)) registry.emitTokenEvent(e.type, e.server, { days_left: e.days_left })
    }
    fastify.decorate('checkTokenHealth', check)
    const settled = async (): Promise<void> => { await Promise.allSettled([...pending]) }
    fastify.decorate('tokenWebhookSettled', settled)
    check()
    const stopChecks = scheduler.every(opts.checkIntervalMs ?? DAY_MS, check)
    fastify.addHook('onClose', async () => {
      stopChecks()
      for (const g of gauges) g.reset()
      await settled()
    })
  }, { name: 'depgate-token-health', dependencies: ['depgate-metrics', 'depgate-dep-servers', 'depgate-scheduler'] })
}

declare module 'fastify' {
  interface FastifyInstance {
    /** Runs the expiry check now (the daily timer's job). */
    checkTokenHealth: () => void
    /** Resolves once every webhook delivery under way when called, retries included, has ended (delivered or given up). */
    tokenWebhookSettled: () => Promise<void>
  }
}
