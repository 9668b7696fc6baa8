/**
 * The events depgate sends to webhook subscriptions. Each is delivered as
 * `{ type, id, timestamp, data }` (Standard Webhooks' payload shape plus the id); `data` never
 * holds a secret. `profile.*` come from the assignment engine's outcome writes
 * (assignment-events.ts), `job.finished` from the job system's final-state writes (job-events.ts),
 * `org_device.*` and `org.refresh_*` from the org mirror's writes (org-events.ts).
 */
export const EVENT_TYPES = [
  'device.added',
  'device.modified',
  'device.removed',
  'profile.assigned',
  'profile.assignment_failed',
  'profile.assignment_gave_up',
  'token.expiring',
  'token.expired',
  'token.renewed',
  'terms.not_signed',
  'terms.signed',
  'sync.failed',
  'sync.recovered',
  'job.finished',
  'org_device.added',
  'org_device.modified',
  'org_device.removed',
  'org.refresh_failed',
  'org.refresh_recovered',
  'webhook.test',
  'webhook.disabled'
] as const

export type EventType = typeof EVENT_TYPES[number]

/**
 * What a cause hands to recordEvent: `server` null for events about depgate itself (webhook.*) and
 * about an org; `org` set for events about an ABM/ASM org (org_device.*, org.*, an org job's
 * job.finished). A subscription's `servers` filter applies to events with a server, its `orgs`
 * filter to events with an org.
 */
export interface EventInput {
  type: EventType
  server: string | null
  org?: string | null
  data: Record<string, unknown>
  /**
   * Events with the same key are recorded once: what every replica, or a restart, may notice again
   * (a token nearing expiry) names itself by the fact, so receivers hear of it once.
   */
  key?: string
}

/** The wire form of an event (the body of each delivery). */
export interface EventPayload {
  type: string
  id: string
  timestamp: string
  data: unknown
}
