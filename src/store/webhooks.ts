/**
 * Webhook subscriptions. The signing secret is sealed with the store's secret box (the
 * subscription id as additional data, so a sealed value cannot be moved to another row) and is
 * opened only by the dispatcher; the records handed out never carry it. Deliveries and the
 * dispatcher's queries: webhook-deliveries.ts.
 */
import { randomBytes } from 'node:crypto'
import type { Kysely } from 'kysely'
import { recordEvent, recordEvents } from '../events/outbox.js'
import type { EventInput } from '../events/types.js'
import type { SecretBox } from '../tokens/secret-box.js'
import { type AuditEntryInput, insertAudit } from './audit.js'
import type { Database } from './schema.js'
import { webhookSecretAad } from './secret-sealing.js'
import type { WebhookSubscriptionsTable } from './webhook-schema.js'

export interface WebhookRecord {
  id: string
  url: string
  description: string
  events: string[]
  servers: string[]
  orgs: string[]
  enabled: boolean
  /** Why depgate disabled it: `gone` (410), `failing` (3 days of failures); null otherwise. */
  disabledReason: string | null
  /** Until when the previous secret still signs beside the current one (after a rotation). */
  previousSecretUntil: string | null
  createdAt: string
  updatedAt: string
}

export interface WebhookInput {
  url: string
  description: string
  events: string[]
  servers: string[]
  /** Default ["*"] (the token webhook made at start keeps the column's default). */
  orgs?: string[]
  enabled: boolean
}

export type WebhookPatch = Partial<WebhookInput>

export interface WebhookRepository {
  create (input: WebhookInput & { secret: string }, audit?: AuditEntryInput): Promise<WebhookRecord>
  list (): Promise<WebhookRecord[]>
  get (id: string): Promise<WebhookRecord | undefined>
  /** Undefined when there is no such subscription. Enabling clears the reason depgate disabled it for. */
  update (id: string, patch: WebhookPatch, audit?: AuditEntryInput): Promise<WebhookRecord | undefined>
  /** Deletes the subscription and its deliveries. */
  delete (id: string, audit?: AuditEntryInput): Promise<boolean>
  /** Installs `secret`; the current one keeps signing until `keepPreviousMs` from now. */
  rotateSecret (id: string, secret: string, keepPreviousMs: number, audit?: AuditEntryInput): Promise<WebhookRecord | undefined>
  /**
   * Creates subscription `id` or, when it exists, sets its URL, filters and secret to these (its
   * enabled state is kept): the configured token webhook, made at every start by every replica.
   */
  ensure (id: string, input: Omit<WebhookInput, 'enabled'> & { secret: string }): Promise<void>
  /** Records events whose cause is not a write of the store (token events noticed in memory); their ids. */
  record (inputs: readonly EventInput[]): Promise<string[]>
  /** Queues a webhook.test event for this subscription only; its event id, or undefined when there is no such subscription. */
  sendTest (id: string): Promise<string | undefined>
  /** The secrets that sign a delivery now: the current one, and the previous one within its grace period. */
  signingSecrets (id: string): Promise<string[]>
}

export function webhookRecord (row: WebhookSubscriptionsTable): WebhookRecord {
  return {
    id: row.id,
    url: row.url,
    description: row.description,
    events: JSON.parse(row.events) as string[],
    servers: JSON.parse(row.servers) as string[],
    orgs: JSON.parse(row.orgs) as string[],
    enabled: row.enabled === 1,
    disabledReason: row.disabled_reason,
    previousSecretUntil: row.previous_secret_sealed === null ? null : row.previous_until,
    createdAt: row.created_at,
    updatedAt: row.updated_at
  }
}

export function createWebhookRepository (db: Kysely<Database>, now: () => Date, box?: SecretBox): WebhookRepository {
  function needBox (): SecretBox {
    if (box === undefined) throw new Error('the secret box is not configured: webhook secrets cannot be sealed or opened')
    return box
  }
  const row = async (id: string): Promise<WebhookSubscriptionsTable | undefined> =>
    await db.selectFrom('webhook_subscriptions').selectAll().where('id', '=', id).executeTakeFirst()

  async function create (input: WebhookInput & { secret: string }, audit?: AuditEntryInput): Promise<WebhookRecord> {
    const id = randomBytes(6).toString('hex')
    const at = now()
    const values: WebhookSubscriptionsTable = {
      id,
      url: input.url,
      description: input.description,
      events: JSON.stringify(input.events),
      servers: JSON.stringify(input.servers),
      orgs: JSON.stringify(input.orgs ?? ['*']),
      enabled: input.enabled ? 1 : 0,
      secret_sealed: needBox().seal(input.secret, webhookSecretAad(id)),
      previous_secret_sealed: null,
      previous_until: null,
      disabled_reason: null,
      created_at: at.toISOString(),
      updated_at: at.toISOString()
    }
    await db.transaction().execute(async (trx) => {
      await trx.insertInto('webhook_subscriptions').values(values).execute()
      if (audit !== undefined) await insertAudit(trx, at, { ...audit, target: `/v1/webhooks/${id}` })
    })
    return webhookRecord(values)
  }

  return {
    create,
    async list () {
      return (await db.selectFrom('webhook_subscriptions').selectAll().orderBy('created_at').orderBy('id').execute()).map(webhookRecord)
    },
    async get (id) {
      const found = await row(id)
      return found === undefined ? undefined : webhookRecord(found)
    },
    async update (id, patch, audit) {
      const at = now()
      const set: Partial<WebhookSubscriptionsTable> = { updated_at: at.toISOString() }
      if (patch.url !== undefined) set.url = patch.url
      if (patch.description !== undefined) set.description = patch.description
      if (patch.events !== undefined) set.events = JSON.stringify(patch.events)
      if (patch.servers !== undefined) set.servers = JSON.stringify(patch.servers)
      if (patch.orgs !== undefined) set.orgs = JSON.stringify(patch.orgs)
      if (patch.enabled !== undefined) Object.assign(set, { enabled: patch.enabled ? 1 : 0, disabled_reason: null })
      return await db.transaction().execute(async (trx) => {
        const updated = await trx.updateTable('webhook_subscriptions').set(set).where('id', '=', id).executeTakeFirst()
        if (updated.numUpdatedRows === 0n) return undefined
        if (audit !== undefined) await insertAudit(trx, at, audit)
        return webhookRecord(await trx.selectFrom('webhook_subscriptions').selectAll().where('id', '=', id).executeTakeFirstOrThrow())
      })
    },
    async delete (id, audit) {
      return await db.transaction().execute(async (trx) => {
        const deleted = await trx.deleteFrom('webhook_subscriptions').where('id', '=', id).executeTakeFirst()
        if (deleted.numDeletedRows === 0n) return false
        await trx.deleteFrom('webhook_deliveries').where('subscription_id', '=', id).execute()
        if (audit !== undefined) await insertAudit(trx, now(), audit)
        return true
      })
    },
    async rotateSecret (id, secret, keepPreviousMs, audit) {
      const at = now()
      return await db.transaction().execute(async (trx) => {
        const current = await trx.selectFrom('webhook_subscriptions').select('secret_sealed').where('id', '=', id).executeTakeFirst()
        if (current === undefined) return undefined
        await trx.updateTable('webhook_subscriptions').set({
          secret_sealed: needBox().seal(secret, webhookSecretAad(id)),
          previous_secret_sealed: current.secret_sealed,
          previous_until: new Date(at.getTime() + keepPreviousMs).toISOString(),
          updated_at: at.toISOString()
        }).where('id', '=', id).execute()
        if (audit !== undefined) await insertAudit(trx, at, audit)
        return webhookRecord(await trx.selectFrom('webhook_subscriptions').selectAll().where('id', '=', id).executeTakeFirstOrThrow())
      })
    },
    async ensure (id, input) {
      const at = now().toISOString()
      const set = { url: input.url, description: input.description, events: JSON.stringify(input.events), servers: JSON.stringify(input.servers), secret_sealed: needBox().seal(input.secret, webhookSecretAad(id)), updated_at: at }
      // Insert or update in one statement: two replicas starting together both succeed.
      await db.insertInto('webhook_subscriptions').values({ id, ...set, orgs: JSON.stringify(['*']), enabled: 1, previous_secret_sealed: null, previous_until: null, disabled_reason: null, created_at: at })
        .onConflict((oc) => oc.column('id').doUpdateSet(set)).execute()
    },
    async record (inputs) {
      const at = now()
      return await db.transaction().execute(async (trx) => await recordEvents(trx, inputs, { at }))
    },
    async sendTest (id) {
      const at = now()
      return await db.transaction().execute(async (trx) =>
        await recordEvent(trx, { type: 'webhook.test', server: null, data: { webhook_id: id, message: 'A test event sent on request (POST /v1/webhooks/{id}/test).' } }, { at, only: id }))
    },
    async signingSecrets (id) {
      const found = await db.selectFrom('webhook_subscriptions').selectAll().where('id', '=', id).executeTakeFirstOrThrow()
      const secrets = [needBox().open(found.secret_sealed, webhookSecretAad(id))]
      if (found.previous_secret_sealed !== null && found.previous_until! > now().toISOString()) {
        secrets.push(needBox().open(found.previous_secret_sealed, webhookSecretAad(id)))
      }
      return secrets
    }
  }
}
