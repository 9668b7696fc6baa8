import type { Generated } from 'kysely'

/**
 * The webhook tables (0013): subscriptions, the outbox of events, one delivery per event and
 * subscription, and the delivery lease. Timestamps are ISO-8601 UTC text, as everywhere.
 */
export interface WebhookSubscriptionsTable {
  /** 12 hex digits, public (the URL names it). */
  id: string
  url: string
  description: string
  /** JSON array of event types, or ["*"]. */
  events: string
  /** JSON array of server names, or ["*"]. */
  servers: string
  /** JSON array of org names, or ["*"] (0017). */
  orgs: string
  /** 1 or 0 (portable booleans). */
  enabled: number
  /** The signing secret (`whsec_…`) sealed by the store's secret box, the subscription id as additional data. */
  secret_sealed: string
  /** After a rotation: the previous secret, sealed, which keeps signing beside the new one until previous_until. */
  previous_secret_sealed: string | null
  previous_until: string | null
  /** Why depgate disabled it (gone: the receiver answered 410; failing: 3 days of failures); null when enabled or disabled by a person. */
  disabled_reason: string | null
  created_at: string
  updated_at: string
}

/** The outbox: one row per event, written in the transaction of its cause. */
export interface WebhookEventsTable {
  /** Commit-ish order (an auto-increment): deliveries are made in this order per subscription. */
  seq: Generated<number>
  /** `msg_…`: the Standard Webhooks `webhook-id`, the same on every retry. */
  id: string
  type: string
  server: string | null
  /** The ABM/ASM org the event is about (0017); null for others. */
  org: string | null
  /** The event's `data`, JSON. */
  data: string
  created_at: string
}

export interface WebhookDeliveriesTable {
  /** Public id and order per subscription (a replay's deliveries come after those already queued). */
  seq: Generated<number>
  subscription_id: string
  event_seq: number
  /** pending | succeeded | failed */
  status: string
  attempts: number
  last_status: number | null
  last_error: string | null
  next_attempt_at: string
  first_attempt_at: string | null
  last_attempt_at: string | null
  created_at: string
}

/** One row ('delivery'): the replica that delivers. */
export interface WebhookLeaseTable {
  name: string
  owner: string | null
  expires_at: string | null
}
