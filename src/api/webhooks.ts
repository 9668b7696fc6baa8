/**
 * Webhook subscriptions and their deliveries over HTTP: the schemas (one source for validation,
 * types and the OpenAPI document) and the views. A secret is answered once, when it is made
 * (create, rotate-secret); no other answer carries it.
 */
import { z } from 'zod'
import { EVENT_TYPES } from '../events/types.js'
import { webhookUrlProblem } from '../events/url-policy.js'
import { httpProblem } from '../problems.js'
import type { DeliveryRecord, WebhookRecord } from '../store/index.js'
import { ORG_NAME_PATTERN } from './org-schemas.js'
import { SERVER_NAME_PATTERN } from './server-info.js'
import { timestamp } from './timestamps.js'

const EXAMPLE = {
  id: '0a1b2c3d4e5f',
  url: 'https://tickets.example.com/hooks/depgate',
  description: 'Ticketing: token expiry',
  events: ['token.expiring', 'token.expired'],
  servers: ['*'],
  orgs: ['*'],
  enabled: true,
  disabled_reason: null,
  previous_secret_until: null,
  created_at: '2026-01-05T10:00:00.000Z',
  updated_at: '2026-01-05T10:00:00.000Z'
}

const eventsSchema = z.array(z.enum([...EVENT_TYPES, '*'])).min(1).max(EVENT_TYPES.length + 1)
  .describe('Event types to receive, or ["*"] for all (those added to depgate later included)')
const serversSchema = z.array(z.union([z.literal('*'), z.string().regex(SERVER_NAME_PATTERN)])).min(1).max(100)
  .describe('DEP server names whose events to receive, or ["*"]; events about an org or about depgate itself (webhook.*) name no server and are not filtered by it')
const orgsSchema = z.array(z.union([z.literal('*'), z.string().regex(ORG_NAME_PATTERN)])).min(1).max(100)
  .describe('Apple Business/School Manager org names whose events to receive (org_device.*, org.refresh_*, job.finished of an org\'s job), or ["*"]; events about a DEP server or about depgate itself name no org and are not filtered by it')
const urlSchema = z.string().max(2048).describe('Where events are POSTed: an http(s) URL, without user:password@ (see DEPGATE_WEBHOOK_ALLOW)')
const descriptionSchema = z.string().max(200).describe('What the subscription is for')

export const webhookSchema = z.object({
  id: z.string().describe('The subscription id'),
  url: z.string(),
  description: z.string(),
  events: z.array(z.string()),
  servers: z.array(z.string()),
  orgs: z.array(z.string()),
  enabled: z.boolean(),
  disabled_reason: z.enum(['gone', 'failing']).nullable().describe('Why depgate disabled it: gone (the receiver answered 410), failing (3 days of failed deliveries); null when enabled or disabled with PATCH'),
  previous_secret_until: timestamp().nullable().describe('After a rotation: until when the previous secret still signs beside the new one'),
  created_at: timestamp(),
  updated_at: timestamp()
}).meta({ id: 'Webhook', description: 'A webhook subscription, without its secret.', examples: [EXAMPLE] })

export const createdWebhookSchema = webhookSchema.extend({
  secret: z.string().describe('The signing secret (`whsec_` + base64), for a Standard Webhooks library. Shown once.')
}).meta({ id: 'WebhookCreated', examples: [{ ...EXAMPLE, secret: 'whsec_<shown once>' }] })

export const createWebhookSchema = z.object({
  url: urlSchema,
  events: eventsSchema.default(['*']),
  servers: serversSchema.default(['*']),
  orgs: orgsSchema.default(['*']),
  description: descriptionSchema.default(''),
  enabled: z.boolean().default(true)
}).meta({ id: 'WebhookRequest', examples: [{ url: EXAMPLE.url, events: EXAMPLE.events, description: EXAMPLE.description }] })

export const patchWebhookSchema = z.object({
  url: urlSchema.optional(),
  events: eventsSchema.optional(),
  servers: serversSchema.optional(),
  orgs: orgsSchema.optional(),
  description: descriptionSchema.optional(),
  enabled: z.boolean().optional().describe('true resumes a disabled subscription: the deliveries it kept pending are sent, in order')
}).meta({ id: 'WebhookPatch', examples: [{ enabled: true }] })

export const webhookParamsSchema = z.object({
  id: z.string().regex(/^[a-f0-9]{12}$/, 'is not a webhook id (12 hexadecimal characters)').describe('The subscription id')
})

export const deliveryParamsSchema = webhookParamsSchema.extend({
  delivery: z.coerce.number().int().min(1).describe('The delivery id')
})

export const DELIVERY_STATUSES = ['pending', 'succeeded', 'failed'] as const

export const deliverySchema = z.object({
  id: z.number().int().describe('The delivery id (newer deliveries have larger ids)'),
  event_id: z.string().describe('The event id: the `webhook-id` header the receiver got'),
  event_type: z.string(),
  status: z.enum(DELIVERY_STATUSES),
  attempts: z.number().int(),
  last_status: z.number().int().nullable().describe('The HTTP status of the last attempt; null before any, or when no answer came'),
  last_error: z.string().nullable().describe('Why the last attempt failed (the start of the answer, at most 200 characters)'),
  next_attempt_at: timestamp().nullable().describe('When a pending delivery is tried (again); later ones of the subscription wait behind it'),
  created_at: timestamp(),
  last_attempt_at: timestamp().nullable()
}).meta({ id: 'WebhookDelivery' })

export const deliveriesQuerySchema = z.object({
  status: z.enum(DELIVERY_STATUSES).optional().describe('Only deliveries in this state'),
  limit: z.coerce.number().int().min(1).max(500).default(100).describe('Deliveries per page'),
  before: z.coerce.number().int().min(1).optional().describe('The next page: the `next_before` of the previous one')
})

export const deliveriesPageSchema = z.object({
  deliveries: z.array(deliverySchema),
  next_before: z.number().int().nullable().describe('Pass as `before` for the next (older) page; null on the last')
})

export const replayQuerySchema = z.object({
  since: z.iso.datetime({ offset: true }).describe('Re-send every stored event from this time on (ISO 8601 with a zone)')
})

export function webhookView (w: WebhookRecord): z.infer<typeof webhookSchema> {
  return {
    id: w.id,
    url: w.url,
    description: w.description,
    events: w.events,
    servers: w.servers,
    orgs: w.orgs,
    enabled: w.enabled,
    disabled_reason: w.disabledReason as 'gone' | 'failing' | null,
    previous_secret_until: w.previousSecretUntil,
    created_at: w.createdAt,
    updated_at: w.updatedAt
  }
}

export function deliveryView (d: DeliveryRecord): z.infer<typeof deliverySchema> {
  return {
    id: d.id,
    event_id: d.eventId,
    event_type: d.eventType,
    status: d.status,
    attempts: d.attempts,
    last_status: d.lastStatus,
    last_error: d.lastError,
    next_attempt_at: d.nextAttemptAt,
    created_at: d.createdAt,
    last_attempt_at: d.lastAttemptAt
  }
}

/**
 * Refuses a URL depgate will not send to (400 WEBHOOK_URL_REFUSED, naming the rule, not echoing a
 * password); else the URL as the parser reads it, which is what is stored and listed: the parser
 * drops tabs and newlines and trims spaces, so ` https://hooks.example.com\t.evil.test/` is sent
 * to hooks.example.com.evil.test, and an admin reading the list must see that, not the text typed.
 */
export function checkWebhookUrl (url: string, allow: readonly string[]): string {
  const problem = webhookUrlProblem(url, allow)
  if (problem !== undefined) throw httpProblem(400, 'WEBHOOK_URL_REFUSED', `The webhook cannot be saved: ${problem}.`)
  return new URL(url).href
}

/** How long the previous secret keeps signing after a rotation: a day to deploy the new one at the receiver. */
export const PREVIOUS_SECRET_MS = 24 * 3600_000

export function webhookNotFound (id: string): Error {
  return httpProblem(404, 'WEBHOOK_NOT_FOUND', `No webhook subscription with id ${id}. GET /v1/webhooks lists them.`)
}
