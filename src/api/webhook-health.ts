/**
 * How well each webhook subscription is being delivered: the subscription as GET /v1/webhooks
 * shows it (never its secret), its deliveries by state, the age of its oldest undelivered event,
 * its last success and its last failure; and the latest failed deliveries of all of them.
 */
import type { z } from 'zod'
import type { Store } from '../store/index.js'
import type { DeliveryHealth } from '../store/webhook-deliveries.js'
import { deliveryView, webhookView, type deliverySchema, type webhookSchema } from './webhooks.js'

type DeliveryView = z.infer<typeof deliverySchema>

export interface SubscriptionHealth {
  webhook: z.infer<typeof webhookSchema>
  counts: { pending: number, succeeded: number, failed: number }
  /** created_at of the oldest pending delivery; null when nothing waits. */
  oldest_pending_at: string | null
  last_success_at: string | null
  /** The delivery whose attempt failed last (its status code or error), null if none has failed. */
  last_failure: DeliveryView | null
}

export interface WebhookHealth {
  subscriptions: SubscriptionHealth[]
  /** The latest failed deliveries of every subscription, the latest attempt first. */
  failures: Array<DeliveryView & { webhook_id: string }>
}

const NONE: Omit<DeliveryHealth, 'subscriptionId'> = { pending: 0, succeeded: 0, failed: 0, oldestPending: null, lastSuccessAt: null }

export async function webhookHealth (store: Store, failures: number): Promise<WebhookHealth> {
  const [webhooks, health, latest] = await Promise.all([
    store.webhooks.list(),
    store.webhookDeliveries.health(),
    store.webhookDeliveries.failures({ limit: failures })
  ])
  const byId = new Map(health.map((h) => [h.subscriptionId, h]))
  const subscriptions = await Promise.all(webhooks.map(async (w): Promise<SubscriptionHealth> => {
    const h = byId.get(w.id) ?? { ...NONE, subscriptionId: w.id }
    const [last] = await store.webhookDeliveries.failures({ subscriptionId: w.id, limit: 1 })
    return {
      webhook: webhookView(w),
      counts: { pending: h.pending, succeeded: h.succeeded, failed: h.failed },
      oldest_pending_at: h.oldestPending,
      last_success_at: h.lastSuccessAt,
      last_failure: last === undefined ? null : deliveryView(last)
    }
  }))
  return { subscriptions, failures: latest.map((d) => ({ ...deliveryView(d), webhook_id: d.subscriptionId })) }
}
