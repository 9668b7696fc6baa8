/**
 * Webhook delivery as `fastify.webhooks`: the dispatcher (src/events/dispatcher.ts) starts once the
 * app is ready and stops, releasing the delivery lease, at close. Metrics: deliveries by result,
 * and per subscription the queue depth and the age of its oldest undelivered event (read from the
 * database at scrape time, so every replica reports the same backlog).
 */
import { hostname } from 'node:os'
import { randomUUID } from 'node:crypto'
import fp from 'fastify-plugin'
import { Counter, Gauge } from 'prom-client'
import { Dispatcher } from '../../src/events/dispatcher.js'
import { createHttpSender, type Sender } from '../../src/events/send.js'
import { tokenEventInput, tokenWebhookSubscription } from '../../src/events/token-events.js'

export interface WebhooksPluginOptions {
  /** Replaces the HTTP sender (tests that need a receiver undici cannot reach). */
  send?: Sender
  tickMs?: number
}

export interface Webhooks {
  dispatcher: Dispatcher
  /** DEPGATE_WEBHOOK_ALLOW, parsed. */
  allow: readonly string[]
  /** Looks at the queue now instead of at the next tick (after a write the caller wants sent soon). */
  kick (): void
}

declare module 'fastify' {
  interface FastifyInstance {
    webhooks: Webhooks
  }
}

export function createWebhooksPlugin (opts: WebhooksPluginOptions = {}) {
  return fp(async function webhooksPlugin (fastify) {
    const { config, store, metrics, scheduler } = fastify
    const http = createHttpSender()
    const results = new Counter({
      name: 'depgate_webhook_deliveries_total',
      help: 'Webhook delivery attempts made by this replica, by result (succeeded; retrying: failed, tried again later; disabled: the subscription was disabled, 410 Gone or 3 days of failures)',
      labelNames: ['result'] as const,
      registers: [metrics.registry]
    })
    const allow = config.webhookAllow ?? []
    const dispatcher = new Dispatcher({
      deliveries: store.webhookDeliveries,
      signingSecrets: async (id) => await store.webhooks.signingSecrets(id),
      send: opts.send ?? http.send,
      scheduler,
      owner: `${hostname()}:${process.pid}:${randomUUID().slice(0, 8)}`,
      allow,
      log: fastify.log,
      tickMs: opts.tickMs,
      leaseMs: config.webhookLeaseMs,
      retryDelaysMs: config.webhookRetryDelaysMs,
      retentionMs: config.webhookRetentionDays * 86_400_000,
      onResult: (result) => { results.inc({ result }) }
    })
    // One read per scrape for both gauges; a database that is down leaves them out of the scrape.
    let snapshot: Promise<Array<{ subscriptionId: string, pending: number, oldest: string }>> | undefined
    const backlog = async () => {
      if (snapshot === undefined) {
        snapshot = store.webhookDeliveries.backlog().catch((err: unknown) => {
          fastify.log.warn({ err }, 'metrics: could not read the webhook backlog; its gauges are left out of this scrape')
          return []
        })
        setImmediate(() => { snapshot = undefined })
      }
      return await snapshot
    }
    const gauge = (name: string, help: string, value: (b: { pending: number, oldest: string }) => number): void => {
      // eslint-disable-next-line no-new
      new Gauge({
        name,
        help,
        labelNames: ['webhook'] as const,
        registers: [metrics.registry],
        async collect () {
          this.reset()
          for (const b of await backlog()) this.set({ webhook: b.subscriptionId }, value(b))
        }
      })
    }
    gauge('depgate_webhook_queue_depth', 'Deliveries waiting (pending) per enabled webhook subscription', (b) => b.pending)
    gauge('depgate_webhook_oldest_pending_seconds', 'Age of the oldest undelivered event per enabled webhook subscription',
      (b) => Math.max(0, (scheduler.now() - Date.parse(b.oldest)) / 1000))

    // DEPGATE_TOKEN_WEBHOOK_URL is a subscription like any other, delivered by the outbox; made
    // before token health's check at start, so the events that check finds reach it.
    if (config.tokenWebhook !== undefined) {
      const sub = tokenWebhookSubscription(config.tokenWebhook)
      await store.webhooks.ensure(sub.id, sub)
    }

    // Token events are noticed in memory, after their cause: each is recorded at once, keyed so
    // that every replica noticing the same fact records it once (src/events/token-events.ts).
    const recording = new Set<Promise<void>>()
    fastify.depServers.onTokenEvent((event) => {
      const p = store.webhooks.record([tokenEventInput(event)]).then(() => { dispatcher.kick() }, (err: unknown) => {
        fastify.log.error({ err, event: event.type, server: event.server }, 'webhooks: could not record a token event')
      }).finally(() => { recording.delete(p) })
      recording.add(p)
    })

    fastify.decorate('webhooks', {
      dispatcher,
      allow,
      kick () { dispatcher.kick() }
    })
    fastify.addHook('onReady', async () => { dispatcher.start() })
    fastify.addHook('preClose', async () => {
      await Promise.all([...recording])
      await dispatcher.stop()
      await http.close()
    })
  }, { name: 'depgate-webhooks', dependencies: ['depgate-config', 'depgate-scheduler', 'depgate-store', 'depgate-metrics', 'depgate-dep-servers'] })
}
