import type { Generated } from 'kysely'
import type { WebhookDeliveriesTable, WebhookEventsTable, WebhookLeaseTable, WebhookSubscriptionsTable } from './webhook-schema.js'

/**
 * Table types for Kysely. Timestamps are ISO-8601 UTC strings everywhere (text columns), so the
 * same queries run unchanged on SQLite and PostgreSQL and sort correctly as text.
 */
export interface ServersTable {
  name: string
  /** Legacy: the server token as JSON text in clear (0001). Emptied ('') once sealed into token_sealed. */
  token: string
  base_url: string | null
  created_at: string
  updated_at: string
  /** The token JSON sealed by the secret box (AES-256-GCM, the server name as additional data). */
  token_sealed: string | null
  /** Not secret: kept in clear so health can be listed without opening anything. */
  token_expires_at: string | null
  account_server_uuid: string | null
  account_server_name: string | null
  account_org_name: string | null
  account_checked_at: string | null
  /** When Apple last answered T_C_NOT_SIGNED; null once a call succeeds again. */
  terms_not_signed_at: string | null
  last_error: string | null
  last_error_at: string | null
  /** 0015: the Apple Business / School Manager org this server belongs to (orgs.name), or null. */
  org: string | null
  /** 0015: this server's id among that org's MDM servers (org_mdm_servers.id); set whenever `org` is. */
  org_mdm_server: string | null
}

/** The key pair(s) Apple encrypts a server's token to. Private keys are sealed; certificates are public. */
export interface ServerKeysTable {
  server: string
  current_key: string | null
  current_cert: string | null
  staged_key: string | null
  staged_cert: string | null
  staged_at: string | null
  updated_at: string
}

export interface ApiKeysTable {
  id: string
  label: string
  scope: string
  /** Hex SHA-256 of the key's secret part; the secret itself is never stored. */
  hash: string
  created_at: string
  last_used_at: string | null
  revoked_at: string | null
}

export interface AuditLogTable {
  /** Time-ordered text id (see audit.ts), portable where auto-increment syntax is not. */
  id: string
  at: string
  key_id: string | null
  action: string
  target: string
  result: string
  detail: string | null
  /** The depgate server acted on, for filtering (0009; older rows name it in target only). */
  server: string | null
  /** How many serials the action named (calls to Apple with a list). */
  serial_count: number | null
  /** JSON array of the serials, when there are at most AUDIT_INLINE_SERIALS of them. */
  serials: string | null
  /** Hex SHA-256 of the sorted serials joined by newlines, when the list is kept in audit_serials. */
  serials_sha256: string | null
  /** Where the whole list is kept when it is not inline (`/v1/audit/<id>/serials`). */
  serials_ref: string | null
  /** When the outcome of an attempt was written; null while `result` is `pending` (or was left so by a crash). */
  finished_at: string | null
}

/** Serial lists too long for an audit row, written in the same transaction as the row. */
export interface AuditSerialsTable {
  audit_id: string
  serials: string
}

/** The device mirror: one row per serial Apple ever showed this server; removed rows stay, stamped. */
export interface MirrorDevicesTable {
  server: string
  serial_number: string
  /** Copies of Apple's fields that filters, sorting and the summary use. */
  model: string | null
  os: string | null
  device_family: string | null
  profile_status: string | null
  profile_uuid: string | null
  device_assigned_date: string | null
  asset_tag: string | null
  color: string | null
  description: string | null
  device_assigned_by: string | null
  /** Apple's record as JSON (every field it sent, unknown ones too), without the sync-only op_type / op_date. */
  record: string
  first_seen_at: string
  last_changed_at: string
  removed_at: string | null
  /** Apple's op_date of the last sync record applied (a page may repeat a serial; the latest wins). */
  op_date: string | null
  /** The full fetch that last saw the serial; a completed fetch marks rows of older generations removed. */
  generation: number
  /** Sequence number of the row's last change in inventory_changes. */
  seq: number
}

/**
 * The change feed: per server, seq 1, 2, 3 … written in the transaction that changed the row.
 * Compaction (feed-compaction.ts) deletes a change once the same device has a later one, and a
 * device's removal once it is older than the retention, so the numbers have gaps. A mirror dropped
 * at head N (server deleted) leaves N + 1 unused; the next one goes on from N + 2.
 */
export interface MirrorChangesTable {
  server: string
  seq: number
  serial_number: string
  op: 'added' | 'modified' | 'removed'
  at: string
  /** The device after the change (for removed, as last known), JSON. */
  record: string
}

/**
 * Per-server sync state: the cursor (stored with the page it ends), progress, errors, and the sync
 * lease. A deleted server's row stays as a tombstone (reset, keeping last_seq and feed_floor) so
 * that its name never reuses a sequence number.
 */
export interface MirrorStateTable {
  server: string
  /** 'fetch' while a full fetch drains, 'sync' after it completed. */
  phase: string
  cursor: string | null
  cursor_at: string | null
  /** Number of the current (or last) full fetch. */
  generation: number
  fetch_started_at: string | null
  /** When the first full fetch completed: from then on reads come from the mirror. */
  ready_at: string | null
  last_fetch_at: string | null
  last_success_at: string | null
  last_attempt_at: string | null
  last_error_code: string | null
  last_error_message: string | null
  last_error_status: number | null
  last_error_at: string | null
  last_seq: number
  /**
   * The lowest `since` (besides 0) the feed can still answer in full: a `since` in 1 … feed_floor - 1
   * belongs to a mirror dropped when the server was deleted (below drop_floor, see mirror-drop.ts)
   * or lost a removal to compaction (feed-compaction.ts). Added by 0004 with a default, so inserts
   * may leave it out.
   */
  feed_floor: Generated<number>
  /** Where the current mirror's feed starts: the floor the last drop set (0: never dropped). Added by 0005. */
  drop_floor: Generated<number>
  device_count: number
  /** A sync asked for through the API (any replica); the leader runs it and clears it. */
  requested_at: string | null
  requested_full: number
  lease_owner: string | null
  lease_expires_at: string | null
}

/** 0006: the check value of the key the database's secrets are sealed with (one row, `secret-box`; secret-sealing.ts). */
export interface SecretKeyCheckTable {
  name: string
  check_value: string
  created_at: string
}

/** 0010: a named enrollment profile: its definition (canonical JSON) and the UUID Apple gave it last. */
export interface EnrollmentProfilesTable {
  server: string
  name: string
  profile: string
  /** Hex SHA-256 of `profile`: a PUT with the same hash changes nothing and calls no one. */
  content_hash: string
  profile_uuid: string
  defined_at: string
  created_at: string
}

/** 0010: every UUID a name was given (current included), so devices on an older one can be found. */
export interface EnrollmentProfileVersionsTable {
  server: string
  name: string
  profile_uuid: string
  content_hash: string
  defined_at: string
}

/** 0010: a server's ordered assignment rules as JSON; revision 0 (no row) is the empty list. */
export interface AssignmentRulesTable {
  server: string
  rules: string
  revision: number
  updated_at: string | null
}

/**
 * 0015: an Apple Business / School Manager API account (docs/apple-axm.md §1). The private key is
 * sealed with the secret box (the org name in the additional data); the rest is not secret.
 */
export interface OrgsTable {
  name: string
  client_id: string
  key_id: string
  private_key_sealed: string
  base_url: string | null
  token_url: string | null
  /** `business.api` or `school.api`, from the client id's prefix. */
  scope: string
  token_expires_at: string | null
  token_checked_at: string | null
  last_error: string | null
  last_error_at: string | null
  created_at: string
  updated_at: string
}

/** 0015: the org mirror: one row per device Apple listed for the org; removed rows stay, stamped. */
export interface OrgDevicesTable {
  org: string
  serial_number: string
  /** Copies of Apple's attributes the filters use. */
  status: string | null
  mdm_server: string | null
  product_family: string | null
  order_number: string | null
  purchase_source: string | null
  /** The latest end date of the device's AppleCare coverage, when a live lookup read it. */
  applecare_end: string | null
  /** Apple's attributes as JSON. */
  record: string
  first_seen_at: string
  last_changed_at: string
  removed_at: string | null
  /** The refresh that last saw the device; a completed refresh marks older ones removed. */
  generation: number
  seq: number
}

/** 0015: the org's MDM servers as the last completed refresh saw them. */
export interface OrgMdmServersTable {
  org: string
  id: string
  server_name: string | null
  server_type: string | null
  record: string
  updated_at: string
}

/** 0015: the org mirror's change feed, seq 1, 2, 3 … per org, written with the change. */
export interface OrgChangesTable {
  org: string
  seq: number
  serial_number: string
  op: 'added' | 'modified' | 'removed'
  at: string
  record: string
}

/** 0015: per-org refresh state and the refresh lease (one replica refreshes an org). */
export interface OrgStateTable {
  org: string
  generation: number
  refresh_started_at: string | null
  last_refresh_at: string | null
  last_attempt_at: string | null
  last_error_code: string | null
  last_error_message: string | null
  last_error_at: string | null
  last_seq: number
  device_count: number
  requested_at: string | null
  lease_owner: string | null
  lease_expires_at: string | null
  /** 0017: where the org's current feed starts (0: never dropped); a `since` in 1 … drop_floor - 1 belongs to a dropped one. */
  drop_floor: Generated<number>
}

/** 0011: long work with progress (src/jobs); claimed by one replica at a time through claimed_by / claim_expires_at. */
export interface JobsTable {
  id: string
  kind: string
  server: string | null
  org: string | null
  state: string
  /** The handler's input as JSON. */
  input: string
  progress_done: number
  progress_total: number | null
  /** JSON object, or null. */
  summary: string | null
  /** JSON `{ code, message }`, or null. */
  error: string | null
  created_at: string
  started_at: string | null
  finished_at: string | null
  claimed_by: string | null
  claim_expires_at: string | null
  cancel_requested: number
}

/** 0011: one row per serial a job has an outcome for. */
export interface JobResultsTable {
  job_id: string
  serial: string
  status: string
  detail: string | null
  at: string
}

/** 0012: the assignment engine's outbox, one row per (server, serial) the rules queued. */
export interface AssignmentsTable {
  server: string
  serial_number: string
  /** pending | succeeded | failed | throttled | gave_up | not_accessible */
  status: string
  rule: string
  profile: string
  profile_uuid: string
  /** Per-serial answers Apple gave for this row (a whole-call failure is not one). */
  attempts: number
  /** How many of the last answers in a row were `last_result` (the backoff's step). */
  streak: number
  last_result: string | null
  last_error: string | null
  /** When the row is due (null once it needs nothing more). */
  next_attempt_at: string | null
  first_failed_at: string | null
  created_at: string
  updated_at: string
}

/** 0012: the change-feed sequence number the engine has matched a server's devices up to. */
export interface AssignmentCursorsTable {
  server: string
  seq: number
}

/** A dashboard sign-in (0014): the cookie's SHA-256 only, the key it was made with, its end. */
export interface UiSessionsTable {
  id_hash: string
  key_id: string
  created_at: string
  expires_at: string
}

export interface Database {
  servers: ServersTable
  // The mirror's tables keep the name migration 0003 gave them: renaming a table in place on every
  // deployed database buys no user anything, and SQL is not where a user reads the word.
  inventory_devices: MirrorDevicesTable
  inventory_changes: MirrorChangesTable
  inventory_state: MirrorStateTable
  server_keys: ServerKeysTable
  api_keys: ApiKeysTable
  audit_log: AuditLogTable
  audit_serials: AuditSerialsTable
  secret_key_check: SecretKeyCheckTable
  enrollment_profiles: EnrollmentProfilesTable
  enrollment_profile_versions: EnrollmentProfileVersionsTable
  assignment_rules: AssignmentRulesTable
  assignments: AssignmentsTable
  assignment_cursors: AssignmentCursorsTable
  webhook_subscriptions: WebhookSubscriptionsTable
  webhook_events: WebhookEventsTable
  webhook_deliveries: WebhookDeliveriesTable
  webhook_lease: WebhookLeaseTable
  orgs: OrgsTable
  org_devices: OrgDevicesTable
  org_mdm_servers: OrgMdmServersTable
  org_changes: OrgChangesTable
  org_state: OrgStateTable
  jobs: JobsTable
  job_results: JobResultsTable
  ui_sessions: UiSessionsTable
}
