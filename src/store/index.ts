/**
 * The store: one interface over SQLite (embedded default) and PostgreSQL. The dialect is chosen
 * in `createDialect` (dialect.ts) only; repositories use portable Kysely queries.
 */
import { Kysely, sql } from 'kysely'
import { createApiKeyRepository, type ApiKeyRepository, type AuthCacheOptions } from './api-key-records.js'
import { createAssignmentRepository, type AssignmentRepository } from './assignments.js'
import { createAuditRepository, type AuditRepository } from './audit.js'
import { createDialect, type DialectName, type DialectOptions } from './dialect.js'
import { createEnrollmentRepository, type EnrollmentRepository } from './enrollment.js'
import { createJobRepository, type JobRepository } from './jobs.js'
import { createMirrorRepository, type MirrorRepository } from './mirror.js'
import { migrateToLatest } from './migrations.js'
import { createOrgFeedReads, createOrgMirrorWrites, type OrgFeedReads, type OrgMirrorWrites } from './org-mirror.js'
import { createOrgMirrorReads, type OrgMirrorReads } from './org-reads.js'
import { createOrgJoinReads, type OrgJoinReads } from './org-join.js'
import { createOrgRepository, type OrgRepository } from './orgs.js'
import { CLOSING } from './read-snapshots.js'
import type { Database } from './schema.js'
import { createServerRepository, type ServerRepository } from './servers.js'
import { createDeviceHistory, type DeviceHistory } from './device-history.js'
import { createUiSessionRepository, type UiSessionRepository } from './ui-sessions.js'
import { READER_CLOSED } from './sqlite-reader.js'
import { createWebhookDeliveries, type WebhookDeliveries } from './webhook-deliveries.js'
import { createWebhookRepository, type WebhookRepository } from './webhooks.js'
import type { SecretBox } from '../tokens/secret-box.js'

export type { ApiKeyRecord, ApiKeyRepository, AuthCacheOptions } from './api-key-records.js'
export { AUTH_CACHE_TTL_MS } from './api-key-records.js'
export type { AuditEntry, AuditEntryInput, AuditQuery, AuditRepository } from './audit.js'
export { AUDIT_INLINE_SERIALS, PENDING, serialsDigest } from './audit.js'
export type { UiSessionRecord, UiSessionRepository } from './ui-sessions.js'
export type { DeviceHistory } from './device-history.js'
export type { OrgLink, OrgLinkWrite, ServerAudit, ServerRecord, ServerRepository } from './servers.js'
export type { ApplyResult, DeviceRecord, MirrorRepository, MirrorStateRow, MirrorWrites, PageInput, SyncPhase } from './mirror.js'
export { LeaseLostError } from './mirror.js'
export type { OrgInfo, OrgInput, OrgRecord, OrgRepository } from './orgs.js'
export type { OrgApplied, OrgDeviceInput, OrgFeedReads, OrgMdmServerInput, OrgMirrorWrites, OrgStateRow } from './org-mirror.js'
export type { OrgChange, OrgDevice, OrgDeviceFilters, OrgMdmServer, OrgMirrorReads } from './org-reads.js'
export type { OrgJoin, OrgJoinedDevice, OrgJoinReads, OrgMdmServerName } from './org-join.js'
export { SQLITE_FILE } from './dialect.js'
export type { AssignmentQuery, AssignmentRepository, AssignmentRow, AssignmentStatus, FeedChange, Outcome, QueueStats, Settled, Wanted } from './assignments.js'
export { ASSIGNMENT_STATUSES, OUTSTANDING } from './assignments.js'
export type { WebhookInput, WebhookPatch, WebhookRecord, WebhookRepository } from './webhooks.js'
export type { AttemptOutcome, DeliveryRecord, DeliveryStatus, DueDelivery, WebhookDeliveries } from './webhook-deliveries.js'
export type { JobListQuery, JobRepository, JobResultsQuery, NewJob, StoredJob } from './jobs.js'
export type { EnrollmentRepository, ExpectedRevision, NamedProfileRecord, NamedProfileVersion, ProfileDeletion, RulesWrite, StoredRule, StoredRules } from './enrollment.js'

/**
 * What a query meets once the store is closed, or while it closes (a graceful shutdown closes the
 * store after the app; a request or stream still running then reaches it), from each layer that
 * can refuse it. None of them carries a code, so each is matched by its class and exact message:
 * - Kysely, for any query once the driver is destroyed (both dialects);
 * - pg's pool, asked for a connection after `end()`;
 * - better-sqlite3, for a statement on the closed main connection (a transaction Kysely held
 *   across an await when the store closed);
 * - the store's own SQLite snapshot reader and the read snapshots of whole-list streams.
 * Matching exactly keeps every other error (a bug) a 500. test/store/closed-store.test.ts provokes
 * each one on the real drivers, so a library that rewords its message fails a test.
 */
const CLOSED_ERRORS: ReadonlyArray<[ErrorConstructor | TypeErrorConstructor, string]> = [
  [Error, 'driver has already been destroyed'],
  [Error, 'Cannot use a pool after calling end on the pool'],
  [TypeError, 'The database connection is not open'],
  [Error, READER_CLOSED],
  [Error, CLOSING]
]

/** True when `error` says the store (or a connection of it) has been closed, not that the database failed. */
export function isStoreClosedError (error: unknown): boolean {
  if (!(error instanceof Error)) return false
  const type = Object.getPrototypeOf(error) as unknown
  return CLOSED_ERRORS.some(([cls, message]) => type === cls.prototype && error.message === message)
}

export interface Store {
  readonly dialect: DialectName
  readonly servers: ServerRepository
  readonly keys: ApiKeyRepository
  readonly audit: AuditRepository
  /** The device mirror: pages from Apple, the change feed, the sync lease. */
  readonly mirror: MirrorRepository
  /** Named enrollment profiles and assignment rules. */
  readonly enrollment: EnrollmentRepository
  /** The assignment engine's outbox and feed cursor. */
  readonly assignments: AssignmentRepository
  /** Webhook subscriptions (their secrets sealed with the secret box). */
  readonly webhooks: WebhookRepository
  /** The webhook outbox's deliveries and the delivery lease. */
  readonly webhookDeliveries: WebhookDeliveries
  /** Apple Business / School Manager organisations (API accounts, sealed keys). */
  readonly orgs: OrgRepository
  /** The org mirror: refresh writes (fenced by the org's lease) and reads, with the DEP device view's join. */
  readonly orgMirror: OrgMirrorWrites & OrgMirrorReads & OrgFeedReads & OrgJoinReads
  /** Jobs with progress and per-serial results (src/jobs). */
  readonly jobs: JobRepository
  /** Dashboard sign-ins (src/ui/sessions.ts). */
  readonly uiSessions: UiSessionRepository
  /** One device's changes in the feed, newest first. */
  readonly deviceHistory: DeviceHistory
  /** Resolves when the database answers a trivial query (readiness). */
  ping (): Promise<void>
  close (): Promise<void>
}

interface CommonStoreOptions {
  now?: () => Date
  /** The in-memory cache of key records for authentication (see AUTH_CACHE_TTL_MS). */
  authCache?: AuthCacheOptions
  /**
   * Seals and opens the servers' secrets. Given here, at construction, so a store is never seen
   * with a box that changes under it; a store without one refuses to read or write a token.
   */
  secretBox?: SecretBox
}

export type StoreOptions = CommonStoreOptions & DialectOptions

/** Opens the database and migrates it to the latest schema. */
export async function createStore (opts: StoreOptions): Promise<Store> {
  const { dialect, name, reader, snapshotLimit } = createDialect(opts)
  const db = new Kysely<Database>({ dialect })
  try {
    // Two depgates may open a new database at once: the loser waits for the winner's migrations (migrations.ts).
    await migrateToLatest(db)
  } catch (err) {
    reader?.close()
    await db.destroy()
    throw err
  }
  const now = opts.now ?? (() => new Date())
  const mirror = createMirrorRepository(db, now, reader, snapshotLimit)
  let closed = false
  return {
    dialect: name,
    servers: createServerRepository(db, now, opts.secretBox),
    keys: createApiKeyRepository(db, now, opts.authCache),
    audit: createAuditRepository(db, now),
    mirror,
    enrollment: createEnrollmentRepository(db, now),
    assignments: createAssignmentRepository(db, now),
    webhooks: createWebhookRepository(db, now, opts.secretBox),
    webhookDeliveries: createWebhookDeliveries(db, now),
    orgs: createOrgRepository(db, now, opts.secretBox),
    orgMirror: { ...createOrgMirrorWrites(db, now), ...createOrgMirrorReads(db), ...createOrgFeedReads(db), ...createOrgJoinReads(db) },
    jobs: createJobRepository(db, now),
    uiSessions: createUiSessionRepository(db, now),
    deviceHistory: createDeviceHistory(db),
    async ping () {
      await sql`select 1`.execute(db)
    },
    async close () {
      if (closed) return
      closed = true
      // A stream still open holds a pooled connection (the pool's end would wait for it) or a SQLite read connection.
      await mirror.endStreams()
      reader?.close()
      await db.destroy()
    }
  }
}
