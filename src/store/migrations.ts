/**
 * Schema migrations, in code (no files to ship next to dist/). Only portable column types and
 * Kysely's schema builder, so SQLite and PostgreSQL share every migration.
 */
import { type Kysely, type Migration, type MigrationProvider, Migrator } from 'kysely'

const migrations: Record<string, Migration> = {
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
  }
}

const provider: MigrationProvider = {
  async getMigrations () { return migrations }
}

/** Brings the database to the latest schema; throws the migration's own error when one fails. */
export async function migrateToLatest (db: Kysely<any>): Promise<string[]> {
  const migrator = new Migrator({ db, provider })
  const { error, results } = await migrator.migrateToLatest()
  /* c8 ignore next 2 - only reachable with a broken migration or a database that refuses DDL */
  if (error !== undefined) throw error
  return (results ?? []).map((r) => r.migrationName)
}
