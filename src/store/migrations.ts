/**
 * Schema migrations, in code (no files to ship next to dist/). Only portable column types and
 * Kysely's schema builder, so SQLite and PostgreSQL share every migration.
 */
import { setTimeout as sleep } from 'node:timers/promises'
import { type Kysely, type Migration, type MigrationProvider, type MigrationResultSet, Migrator, PostgresAdapter, sql } from 'kysely'

/** Every migration by name, run in name order (exported for tests that stop at one). */
export const migrations: Record<string, Migration> = {
  '0001_initial': {
    async up (db: Kysely<any>) {
      await db.schema.createTable('servers')
        .addColumn('name', 'text', (c) => c.primaryKey())
        .addColumn('token', 'text', (c) => c.notNull())
        .addColumn('base_url', 'text')
        .addColumn('created_at', 'text', (c) => c.notNull())
        .addColumn('updated_at', 'text', (c) => c.notNull())
        .execute()
      await db.schema.createTable('api_keys')
        .addColumn('id', 'text', (c) => c.primaryKey())
        .addColumn('label', 'text', (c) => c.notNull())
        .addColumn('scope', 'text', (c) => c.notNull())
        .addColumn('hash', 'text', (c) => c.notNull())
        .addColumn('created_at', 'text', (c) => c.notNull())
        .addColumn('last_used_at', 'text')
        .addColumn('revoked_at', 'text')
        .execute()
      await db.schema.createTable('audit_log')
        .addColumn('id', 'text', (c) => c.primaryKey())
        .addColumn('at', 'text', (c) => c.notNull())
        .addColumn('key_id', 'text')
        .addColumn('action', 'text', (c) => c.notNull())
        .addColumn('target', 'text', (c) => c.notNull())
        .addColumn('result', 'text', (c) => c.notNull())
        .addColumn('detail', 'text')
        .execute()
      await db.schema.createIndex('audit_log_at').on('audit_log').column('at').execute()
    }
  },
  // Token lifecycle: sealed secrets, key pairs, account identity, terms and error state.
  // Existing clear-text tokens are sealed by the repository at start (a migration has no key).
  '0002_token_lifecycle': {
    async up (db: Kysely<any>) {
      for (const column of ['token_sealed', 'token_expires_at', 'account_server_uuid', 'account_server_name', 'account_org_name',
        'account_checked_at', 'terms_not_signed_at', 'last_error', 'last_error_at']) {
        await db.schema.alterTable('servers').addColumn(column, 'text').execute()
      }
      await db.schema.createTable('server_keys')
        .addColumn('server', 'text', (c) => c.primaryKey())
        .addColumn('current_key', 'text')
        .addColumn('current_cert', 'text')
        .addColumn('staged_key', 'text')
        .addColumn('staged_cert', 'text')
        .addColumn('staged_at', 'text')
        .addColumn('updated_at', 'text', (c) => c.notNull())
        .execute()
    }
  },
  // The device mirror; its tables keep the first name of the concept (inventory_*). Integers only where arithmetic happens (seq, generation, counts).
  '0003_inventory': {
    async up (db: Kysely<any>) {
      await db.schema.createTable('inventory_devices')
        .addColumn('server', 'text', (c) => c.notNull())
        .addColumn('serial_number', 'text', (c) => c.notNull())
        .addColumn('model', 'text')
        .addColumn('os', 'text')
        .addColumn('device_family', 'text')
        .addColumn('profile_status', 'text')
        .addColumn('profile_uuid', 'text')
        .addColumn('device_assigned_date', 'text')
        .addColumn('record', 'text', (c) => c.notNull())
        .addColumn('first_seen_at', 'text', (c) => c.notNull())
        .addColumn('last_changed_at', 'text', (c) => c.notNull())
        .addColumn('removed_at', 'text')
        .addColumn('op_date', 'text')
        .addColumn('generation', 'integer', (c) => c.notNull())
        .addColumn('seq', 'integer', (c) => c.notNull())
        .addPrimaryKeyConstraint('inventory_devices_pk', ['server', 'serial_number'])
        .execute()
      await db.schema.createTable('inventory_changes')
        .addColumn('server', 'text', (c) => c.notNull())
        .addColumn('seq', 'integer', (c) => c.notNull())
        .addColumn('serial_number', 'text', (c) => c.notNull())
        .addColumn('op', 'text', (c) => c.notNull())
        .addColumn('at', 'text', (c) => c.notNull())
        .addColumn('record', 'text', (c) => c.notNull())
        .addPrimaryKeyConstraint('inventory_changes_pk', ['server', 'seq'])
        .execute()
      await db.schema.createTable('inventory_state')
        .addColumn('server', 'text', (c) => c.primaryKey())
        .addColumn('phase', 'text', (c) => c.notNull())
        .addColumn('cursor', 'text')
        .addColumn('cursor_at', 'text')
        .addColumn('generation', 'integer', (c) => c.notNull().defaultTo(0))
        .addColumn('fetch_started_at', 'text')
        .addColumn('ready_at', 'text')
        .addColumn('last_fetch_at', 'text')
        .addColumn('last_success_at', 'text')
        .addColumn('last_attempt_at', 'text')
        .addColumn('last_error_code', 'text')
        .addColumn('last_error_message', 'text')
        .addColumn('last_error_at', 'text')
        .addColumn('last_seq', 'integer', (c) => c.notNull().defaultTo(0))
        .addColumn('device_count', 'integer', (c) => c.notNull().defaultTo(0))
        .addColumn('requested_at', 'text')
        .addColumn('requested_full', 'integer', (c) => c.notNull().defaultTo(0))
        .addColumn('lease_owner', 'text')
        .addColumn('lease_expires_at', 'text')
        .execute()
    }
  },
  // Change feeds never reuse a sequence number when a server is deleted and added again (see
  // mirror-drop.ts): where the current feed of a server starts.
  '0004_feed_floor': {
    async up (db: Kysely<any>) {
      await db.schema.alterTable('inventory_state')
        .addColumn('feed_floor', 'integer', (c) => c.notNull().defaultTo(0))
        .execute()
    }
  },
  // Compaction (feed-compaction.ts) raises feed_floor too: where the current mirror's feed starts
  // is kept apart, so that a refused since can say which of the two happened. Until now only a
  // drop set the floor. No index: each device's newest change is inventory_devices.seq, found by
  // its primary key, and the log's own (server, seq) key serves the windows compaction walks.
  '0005_drop_floor': {
    async up (db: Kysely<any>) {
      await db.schema.alterTable('inventory_state')
        .addColumn('drop_floor', 'integer', (c) => c.notNull().defaultTo(0))
        .execute()
      await db.updateTable('inventory_state').set((eb) => ({ drop_floor: eb.ref('feed_floor') })).execute()
    }
  },
  // Which secret-box key this database's secrets are sealed with, as a check value (an HMAC of a
  // fixed label under the key, never the key): a replica or restart with another key is refused
  // at start instead of sealing tokens the others cannot open (secret-sealing.ts, checkSecretKey). A
  // migration has no key: the row is written at the first start after it.
  '0006_secret_key_check': {
    async up (db: Kysely<any>) {
      await db.schema.createTable('secret_key_check')
        .addColumn('name', 'text', (c) => c.primaryKey())
        .addColumn('check_value', 'text', (c) => c.notNull())
        .addColumn('created_at', 'text', (c) => c.notNull())
        .execute()
    }
  },
  // The mirror's filters on asset_tag, color, description and device_assigned_by compare copies of
  // Apple's fields, like the first filters; the rows already there get them from their record. No
  // index: every filter is read within one server's rows, compared case-insensitively (lower()),
  // and description is a substring search an ordinary index cannot serve.
  '0007_device_filter_columns': {
    async up (db: Kysely<any>) {
      for (const column of DEVICE_TEXT_COLUMNS) {
        await db.schema.alterTable('inventory_devices').addColumn(column, 'text').execute()
      }
      const postgres = db.getExecutor().adapter instanceof PostgresAdapter
      await db.updateTable('inventory_devices').set(Object.fromEntries(DEVICE_TEXT_COLUMNS.map((column) => [column,
        // Only a string is copied (as the writes do): SQLite's json_extract would give a number as a number.
        postgres
          ? sql`case when json_typeof(record::json -> ${column}) = 'string' then record::json ->> ${column} end`
          : sql`case when json_type(record, ${'$.' + column}) = 'text' then json_extract(record, ${'$.' + column}) end`
      ]))).execute()
    }
  },
  // The HTTP status of the last sync failure, so POST …/sync?wait=true answers a failed run with
  // the status an API caller would get for the same error, on whichever replica ran it.
  '0008_sync_error_status': {
    async up (db: Kysely<any>) {
      await db.schema.alterTable('inventory_state').addColumn('last_error_status', 'integer').execute()
      // A failure recorded before: Apple's failures were answered 502 unless mapped otherwise.
      await db.updateTable('inventory_state').set({ last_error_status: 502 }).where('last_error_code', 'is not', null).execute()
    }
  },
  // Crash-safe audit: a call to Apple is written as an attempt before it and finished after,
  // with the serials it names (long lists in audit_serials); `server` lets GET /v1/audit filter.
  '0009_audit_attempts': {
    async up (db: Kysely<any>) {
      await db.schema.alterTable('audit_log').addColumn('server', 'text').execute()
      await db.schema.alterTable('audit_log').addColumn('serial_count', 'integer').execute()
      for (const column of ['serials', 'serials_sha256', 'serials_ref', 'finished_at']) {
        await db.schema.alterTable('audit_log').addColumn(column, 'text').execute()
      }
      await db.schema.createTable('audit_serials')
        .addColumn('audit_id', 'text', (c) => c.primaryKey())
        .addColumn('serials', 'text', (c) => c.notNull())
        .execute()
      // Rows from before name their server only in target; the server filter reads them there (audit.ts).
      await db.schema.createIndex('audit_log_server').on('audit_log').columns(['server', 'id']).execute()
    }
  },
  // Enrollment automation (enrollment.ts): named profiles with every UUID Apple gave each name, and
  // one ordered rule list per server. `revision` counts the list's replacements: the ETag is made
  // from it, so two editors who read the same list cannot both replace it.
  '0010_enrollment': {
    async up (db: Kysely<any>) {
      await db.schema.createTable('enrollment_profiles')
        .addColumn('server', 'text', (c) => c.notNull())
        .addColumn('name', 'text', (c) => c.notNull())
        .addColumn('profile', 'text', (c) => c.notNull())
        .addColumn('content_hash', 'text', (c) => c.notNull())
        .addColumn('profile_uuid', 'text', (c) => c.notNull())
        .addColumn('defined_at', 'text', (c) => c.notNull())
        .addColumn('created_at', 'text', (c) => c.notNull())
        .addPrimaryKeyConstraint('enrollment_profiles_pk', ['server', 'name'])
        .execute()
      await db.schema.createTable('enrollment_profile_versions')
        .addColumn('server', 'text', (c) => c.notNull())
        .addColumn('name', 'text', (c) => c.notNull())
        .addColumn('profile_uuid', 'text', (c) => c.notNull())
        .addColumn('content_hash', 'text', (c) => c.notNull())
        .addColumn('defined_at', 'text', (c) => c.notNull())
        .addPrimaryKeyConstraint('enrollment_profile_versions_pk', ['server', 'name', 'profile_uuid'])
        .execute()
      await db.schema.createTable('assignment_rules')
        .addColumn('server', 'text', (c) => c.primaryKey())
        .addColumn('rules', 'text', (c) => c.notNull())
        .addColumn('revision', 'integer', (c) => c.notNull())
        .addColumn('updated_at', 'text')
        .execute()
    }
  },
  // Jobs (src/jobs): long work with progress and per-serial results, claimed per job by one replica.
  '0011_jobs': {
    async up (db: Kysely<any>) {
      await db.schema.createTable('jobs')
        .addColumn('id', 'text', (c) => c.primaryKey())
        .addColumn('kind', 'text', (c) => c.notNull())
        .addColumn('server', 'text')
        .addColumn('org', 'text')
        .addColumn('state', 'text', (c) => c.notNull())
        .addColumn('input', 'text', (c) => c.notNull())
        .addColumn('progress_done', 'integer', (c) => c.notNull())
        .addColumn('progress_total', 'integer')
        .addColumn('summary', 'text')
        .addColumn('error', 'text')
        .addColumn('created_at', 'text', (c) => c.notNull())
        .addColumn('started_at', 'text')
        .addColumn('finished_at', 'text')
        .addColumn('claimed_by', 'text')
        .addColumn('claim_expires_at', 'text')
        .addColumn('cancel_requested', 'integer', (c) => c.notNull())
        .execute()
      await db.schema.createIndex('jobs_state').on('jobs').columns(['state', 'created_at']).execute()
      await db.schema.createIndex('jobs_created').on('jobs').columns(['created_at', 'id']).execute()
      await db.schema.createTable('job_results')
        .addColumn('job_id', 'text', (c) => c.notNull())
        .addColumn('serial', 'text', (c) => c.notNull())
        .addColumn('status', 'text', (c) => c.notNull())
        .addColumn('detail', 'text')
        .addColumn('at', 'text', (c) => c.notNull())
        .addPrimaryKeyConstraint('job_results_pk', ['job_id', 'serial'])
        .execute()
    }
  },
  // The assignment engine's outbox (store/assignments.ts): one row per device the rules queued, with
  // its retry schedule, and per server how far along the mirror's change feed the engine has matched.
  '0012_assignments': {
    async up (db: Kysely<any>) {
      await db.schema.createTable('assignments')
        .addColumn('server', 'text', (c) => c.notNull())
        .addColumn('serial_number', 'text', (c) => c.notNull())
        .addColumn('status', 'text', (c) => c.notNull())
        .addColumn('rule', 'text', (c) => c.notNull())
        .addColumn('profile', 'text', (c) => c.notNull())
        .addColumn('profile_uuid', 'text', (c) => c.notNull())
        .addColumn('attempts', 'integer', (c) => c.notNull())
        .addColumn('streak', 'integer', (c) => c.notNull())
        .addColumn('last_result', 'text')
        .addColumn('last_error', 'text')
        .addColumn('next_attempt_at', 'text')
        .addColumn('first_failed_at', 'text')
        .addColumn('created_at', 'text', (c) => c.notNull())
        .addColumn('updated_at', 'text', (c) => c.notNull())
        .addPrimaryKeyConstraint('assignments_pk', ['server', 'serial_number'])
        .execute()
      await db.schema.createIndex('assignments_due').on('assignments').columns(['server', 'next_attempt_at']).execute()
      await db.schema.createTable('assignment_cursors')
        .addColumn('server', 'text', (c) => c.primaryKey())
        .addColumn('seq', 'integer', (c) => c.notNull())
        .execute()
    }
  },
  // Webhooks (src/events): subscriptions with sealed secrets, the outbox written in the transaction
  // of each event's cause, one delivery row per event and subscription, and the delivery lease.
  // Auto-increment keys order events and deliveries (SQLite's rowid alias; PostgreSQL's serial).
  '0013_webhooks': {
    async up (db: Kysely<any>) {
      const postgres = db.getExecutor().adapter instanceof PostgresAdapter
      await db.schema.createTable('webhook_subscriptions')
        .addColumn('id', 'text', (c) => c.primaryKey())
        .addColumn('url', 'text', (c) => c.notNull())
        .addColumn('description', 'text', (c) => c.notNull())
        .addColumn('events', 'text', (c) => c.notNull())
        .addColumn('servers', 'text', (c) => c.notNull())
        .addColumn('enabled', 'integer', (c) => c.notNull())
        .addColumn('secret_sealed', 'text', (c) => c.notNull())
        .addColumn('previous_secret_sealed', 'text')
        .addColumn('previous_until', 'text')
        .addColumn('disabled_reason', 'text')
        .addColumn('created_at', 'text', (c) => c.notNull())
        .addColumn('updated_at', 'text', (c) => c.notNull())
        .execute()
      await db.schema.createTable('webhook_events')
        .addColumn('seq', postgres ? 'serial' : 'integer', (c) => postgres ? c.primaryKey() : c.primaryKey().autoIncrement())
        .addColumn('id', 'text', (c) => c.notNull().unique())
        .addColumn('type', 'text', (c) => c.notNull())
        .addColumn('server', 'text')
        .addColumn('data', 'text', (c) => c.notNull())
        .addColumn('created_at', 'text', (c) => c.notNull())
        .execute()
      await db.schema.createIndex('webhook_events_created').on('webhook_events').column('created_at').execute()
      await db.schema.createTable('webhook_deliveries')
        .addColumn('seq', postgres ? 'serial' : 'integer', (c) => postgres ? c.primaryKey() : c.primaryKey().autoIncrement())
        .addColumn('subscription_id', 'text', (c) => c.notNull())
        .addColumn('event_seq', 'integer', (c) => c.notNull())
        .addColumn('status', 'text', (c) => c.notNull())
        .addColumn('attempts', 'integer', (c) => c.notNull())
        .addColumn('last_status', 'integer')
        .addColumn('last_error', 'text')
        .addColumn('next_attempt_at', 'text', (c) => c.notNull())
        .addColumn('first_attempt_at', 'text')
        .addColumn('last_attempt_at', 'text')
        .addColumn('created_at', 'text', (c) => c.notNull())
        .execute()
      // The dispatcher's question: a subscription's oldest pending delivery.
      await db.schema.createIndex('webhook_deliveries_queue').on('webhook_deliveries').columns(['subscription_id', 'status', 'seq']).execute()
      await db.schema.createTable('webhook_lease')
        .addColumn('name', 'text', (c) => c.primaryKey())
        .addColumn('owner', 'text')
        .addColumn('expires_at', 'text')
        .execute()
    }
  },
  // Dashboard sign-ins: a row per browser session, found by the hash of its cookie (the cookie itself is never stored).
  // The change feed's index by device serves the device page's history without reading the whole feed.
  '0014_ui_sessions': {
    async up (db: Kysely<any>) {
      await db.schema.createTable('ui_sessions')
        .addColumn('id_hash', 'text', (c) => c.primaryKey())
        .addColumn('key_id', 'text', (c) => c.notNull())
        .addColumn('created_at', 'text', (c) => c.notNull())
        .addColumn('expires_at', 'text', (c) => c.notNull())
        .execute()
      await db.schema.createIndex('ui_sessions_key').on('ui_sessions').column('key_id').execute()
      await db.schema.createIndex('inventory_changes_serial').on('inventory_changes').columns(['server', 'serial_number', 'seq']).execute()
    }
  },
  // Apple Business / School Manager organisations (docs/apple-axm.md): the API account with its
  // sealed key, the org mirror (devices, MDM servers, a change feed and a refresh lease, like the
  // DEP mirror), and which org and MDM server a DEP server is. Filters read the copied columns
  // within one org, so the primary keys (org first) serve them.
  '0015_orgs': {
    async up (db: Kysely<any>) {
      await db.schema.createTable('orgs')
        .addColumn('name', 'text', (c) => c.primaryKey())
        .addColumn('client_id', 'text', (c) => c.notNull())
        .addColumn('key_id', 'text', (c) => c.notNull())
        .addColumn('private_key_sealed', 'text', (c) => c.notNull())
        .addColumn('base_url', 'text')
        .addColumn('token_url', 'text')
        .addColumn('scope', 'text', (c) => c.notNull())
        .addColumn('token_expires_at', 'text')
        .addColumn('token_checked_at', 'text')
        .addColumn('last_error', 'text')
        .addColumn('last_error_at', 'text')
        .addColumn('created_at', 'text', (c) => c.notNull())
        .addColumn('updated_at', 'text', (c) => c.notNull())
        .execute()
      await db.schema.createTable('org_devices')
        .addColumn('org', 'text', (c) => c.notNull())
        .addColumn('serial_number', 'text', (c) => c.notNull())
        .addColumn('status', 'text')
        .addColumn('mdm_server', 'text')
        .addColumn('product_family', 'text')
        .addColumn('order_number', 'text')
        .addColumn('purchase_source', 'text')
        .addColumn('applecare_end', 'text')
        .addColumn('record', 'text', (c) => c.notNull())
        .addColumn('first_seen_at', 'text', (c) => c.notNull())
        .addColumn('last_changed_at', 'text', (c) => c.notNull())
        .addColumn('removed_at', 'text')
        .addColumn('generation', 'integer', (c) => c.notNull())
        .addColumn('seq', 'integer', (c) => c.notNull())
        .addPrimaryKeyConstraint('org_devices_pk', ['org', 'serial_number'])
        .execute()
      await db.schema.createTable('org_mdm_servers')
        .addColumn('org', 'text', (c) => c.notNull())
        .addColumn('id', 'text', (c) => c.notNull())
        .addColumn('server_name', 'text')
        .addColumn('server_type', 'text')
        .addColumn('record', 'text', (c) => c.notNull())
        .addColumn('updated_at', 'text', (c) => c.notNull())
        .addPrimaryKeyConstraint('org_mdm_servers_pk', ['org', 'id'])
        .execute()
      await db.schema.createTable('org_changes')
        .addColumn('org', 'text', (c) => c.notNull())
        .addColumn('seq', 'integer', (c) => c.notNull())
        .addColumn('serial_number', 'text', (c) => c.notNull())
        .addColumn('op', 'text', (c) => c.notNull())
        .addColumn('at', 'text', (c) => c.notNull())
        .addColumn('record', 'text', (c) => c.notNull())
        .addPrimaryKeyConstraint('org_changes_pk', ['org', 'seq'])
        .execute()
      await db.schema.createTable('org_state')
        .addColumn('org', 'text', (c) => c.primaryKey())
        .addColumn('generation', 'integer', (c) => c.notNull().defaultTo(0))
        .addColumn('refresh_started_at', 'text')
        .addColumn('last_refresh_at', 'text')
        .addColumn('last_attempt_at', 'text')
        .addColumn('last_error_code', 'text')
        .addColumn('last_error_message', 'text')
        .addColumn('last_error_at', 'text')
        .addColumn('last_seq', 'integer', (c) => c.notNull().defaultTo(0))
        .addColumn('device_count', 'integer', (c) => c.notNull().defaultTo(0))
        .addColumn('requested_at', 'text')
        .addColumn('lease_owner', 'text')
        .addColumn('lease_expires_at', 'text')
        .execute()
      await db.schema.alterTable('servers').addColumn('org', 'text').execute()
      await db.schema.alterTable('servers').addColumn('org_mdm_server', 'text').execute()
    }
  },
  // The device list's reads at 100,000 devices (mirror-reads.ts): a page sorted by anything but the
  // serial sorted the whole server in a temporary b-tree, and every page's total counted the rows
  // of the table itself (Apple's record included). One index per sort key, on the very expression
  // the query orders by (coalesce(col, ''), then the serial), walks a page off in order. The live
  // devices in the serial's order, with the lower-cased columns the dashboard filters on most (the
  // summary's) after the serial, serve both a page in the default order and its total, filtered or
  // not, without touching the table. Those columns come after the serial on purpose: ahead of it, a
  // filter on them made SQLite pick the index for the page and sort every match. Each index is
  // written on every sync page, so the set stops there: other filters' counts still read the table.
  '0016_mirror_indexes': {
    async up (db: Kysely<any>) {
      await db.schema.createIndex('inventory_devices_live').on('inventory_devices')
        .expression(sql`server, removed_at, serial_number, (lower(os)), (lower(device_family)), (lower(model)), (lower(profile_status))`).execute()
      for (const column of MIRROR_SORT_COLUMNS) {
        await db.schema.createIndex(`inventory_devices_by_${column}`).on('inventory_devices')
          .expression(sql`server, (coalesce(${sql.ref(column)}, '')), serial_number`).execute()
      }
    }
  },
  '0017_webhook_orgs': {
    async up (db: Kysely<any>) {
      // Org events (org_device.*, org.refresh_*, an org job's job.finished) name their org, as
      // device events name their server: a subscription's `orgs` filter takes them. Existing
      // subscriptions take every org, as they took every event until now.
      await db.schema.alterTable('webhook_subscriptions').addColumn('orgs', 'text', (c) => c.notNull().defaultTo('["*"]')).execute()
      await db.schema.alterTable('webhook_events').addColumn('org', 'text').execute()
    }
  },
  // An org deleted and added again goes on numbering its change feed above the old feed's head,
  // as a DEP server does (mirror-drop.ts): its state row stays as a tombstone and drop_floor says
  // where the new feed starts, so a `since` of the old feed is refused, never answered with part
  // of the new one (dropOrgMirror in org-mirror.ts).
  '0018_org_feed_floor': {
    async up (db: Kysely<any>) {
      await db.schema.alterTable('org_state').addColumn('drop_floor', 'integer', (c) => c.notNull().defaultTo(0)).execute()
    }
  }
}

/** The device list's sort keys other than the serial (SORT_KEYS in mirror-reads.ts), each indexed by 0016. */
const MIRROR_SORT_COLUMNS = ['model', 'os', 'device_family', 'profile_status', 'device_assigned_date', 'last_changed_at', 'first_seen_at'] as const

/** Apple's text fields copied into columns by 0007 (the mirror's filters). */
const DEVICE_TEXT_COLUMNS = ['asset_tag', 'color', 'description', 'device_assigned_by'] as const

const provider: MigrationProvider = {
  async getMigrations () { return migrations }
}

/**
 * The PostgreSQL schema the connection works in (the first of its search_path that exists). The
 * Migrator is given it, so it makes and reads its own tables there by name, whatever search_path
 * and other schemas hold (another depgate's migration table must not count as this one's).
 */
async function migrationSchema (db: Kysely<any>): Promise<string> {
  const { rows } = await sql<{ schema: string | null }>`select current_schema() as schema`.execute(db)
  const schema = rows[0].schema
  if (schema == null) throw new Error('PostgreSQL: no schema of the connection\'s search_path exists; create it, or fix search_path in DEPGATE_DATABASE_URL')
  return schema
}

/**
 * How long, at most, a SQLite store waits for another depgate's migrations (or any long write)
 * before it gives up with SQLITE_BUSY. Migrating a new database takes milliseconds.
 */
export const SQLITE_MIGRATION_WAIT_MS = 60_000
/** Between two tries on SQLite: short, as the other side's migrations are. */
const SQLITE_RETRY_MS = 20

/**
 * Brings the database to the latest schema; throws the migration's own error when one fails.
 * `waitMs`: SQLite only, see SQLITE_MIGRATION_WAIT_MS.
 */
export async function migrateToLatest (db: Kysely<any>, { waitMs = SQLITE_MIGRATION_WAIT_MS } = {}): Promise<string[]> {
  if (!(db.getExecutor().adapter instanceof PostgresAdapter)) return await migrateSqlite(db, waitMs)
  // Kysely's PostgreSQL adapter holds an advisory lock around the run (and its steps before the
  // lock accept a table created meanwhile): a second depgate waits, then finds nothing to do.
  const migrator = new Migrator({ db, provider, migrationTableSchema: await migrationSchema(db) })
  // Its check for its own tables lists this schema only (pg-introspector.ts): another schema
  // dropped meanwhile cannot fail it.
  const outcome = await migrator.migrateToLatest()
  if (outcome.error !== undefined) throw outcome.error
  return migrated(outcome)
}

/**
 * SQLite: Kysely's adapter takes no migration lock (it counts on the one connection) and runs the
 * migrations outside any transaction, so two depgates opening one new file at once (`serve` and a
 * `keys create`, two replicas) both found nothing migrated and the second failed half way ("table
 * servers already exists", "duplicate column name"). Here the whole run is one transaction. It
 * reads which migrations ran from one snapshot (WAL) and takes the write lock at its first write,
 * which fails at once (SQLITE_BUSY while the other holds the lock, SQLITE_BUSY_SNAPSHOT once the
 * other has committed since the snapshot): it is rolled back, and tried again after a short wait,
 * when it finds nothing to do. A transaction that has nothing to do only reads, so it never holds
 * the write lock. A migration that fails, or a process killed in the middle, leaves nothing half done.
 *
 * The wait is ours, asynchronous, with busy_timeout 0 meanwhile: better-sqlite3 waits out
 * busy_timeout blocking the thread, and a second store in the same process (tests, or a CLI
 * command run in-process) would then stop the event loop the first needs to commit.
 * The store is not handed out yet, so no other query shares its one connection meanwhile.
 */
async function migrateSqlite (db: Kysely<any>, waitMs: number): Promise<string[]> {
  const { rows: [{ timeout }] } = await sql<{ timeout: number }>`pragma busy_timeout`.execute(db)
  await sql`pragma busy_timeout = 0`.execute(db)
  try {
    const deadline = Date.now() + waitMs
    for (;;) {
      await sql`begin`.execute(db)
      // Our transaction holds the run: Kysely must never open one of its own inside it (none on SQLite today).
      const outcome = await new Migrator({ db, provider, disableTransactions: true }).migrateToLatest()
      // Kysely reports a failed migration instead of throwing it.
      await sql.raw(outcome.error === undefined ? 'commit' : 'rollback').execute(db)
      if (outcome.error === undefined) return migrated(outcome)
      if (!isBusy(outcome.error) || Date.now() >= deadline) throw outcome.error
      await sleep(SQLITE_RETRY_MS)
    }
  } finally {
    await sql`pragma busy_timeout = ${sql.lit(timeout)}`.execute(db)
  }
}

/** The migrations a successful run executed: Kysely leaves `results` out only along with an error. */
function migrated (outcome: MigrationResultSet): string[] {
  return outcome.results!.map((r) => r.migrationName)
}

/** SQLITE_BUSY and its extended codes (_SNAPSHOT, _RECOVERY, _TIMEOUT), as better-sqlite3 reports them. */
function isBusy (error: unknown): boolean {
  const code = (error as { code?: unknown }).code
  return typeof code === 'string' && code.startsWith('SQLITE_BUSY')
}
