/**
 * Migration 0007 adds the filter columns asset_tag, color, description and device_assigned_by,
 * and fills them from the records already mirrored, on both dialects: only string values are
 * copied, as the writes copy them.
 */
import { Kysely, Migrator } from 'kysely'
import t from 'tap'
import { createDialect } from '../../src/store/dialect.js'
import { migrations } from '../../src/store/migrations.js'
import { createTestDatabase, DIALECTS } from '../databases.js'

for (const dialect of DIALECTS) {
  t.test(`0007 fills the new columns from the stored records (${dialect})`, async (t) => {
    const database = await createTestDatabase(t, dialect)
    const { dialect: d, reader } = createDialect('dataDir' in database ? { dataDir: database.dataDir } : { databaseUrl: database.databaseUrl })
    const db = new Kysely<any>({ dialect: d })
    t.teardown(async () => {
      reader?.close()
      await db.destroy()
    })
    const schema = 'schema' in database ? { migrationTableSchema: database.schema } : {}
    const migrator = new Migrator({ db, provider: { getMigrations: async () => migrations }, ...schema })
    t.equal((await migrator.migrateTo('0006_secret_key_check')).error, undefined)
    const row = (serial: string, record: Record<string, unknown>) => ({
      server: 'default', serial_number: serial, record: JSON.stringify(record), first_seen_at: 'x', last_changed_at: 'x', generation: 1, seq: 1
    })
    await db.insertInto('inventory_devices').values([
      row('C1', { serial_number: 'C1', asset_tag: 'A1', color: 'Silver', description: 'MBP "14" ✓', device_assigned_by: 'a@example.com' }),
      row('C2', { serial_number: 'C2', asset_tag: 12345, color: null })
    ]).execute()
    t.equal((await migrator.migrateToLatest()).error, undefined)
    const rows = await db.selectFrom('inventory_devices').select(['serial_number', 'asset_tag', 'color', 'description', 'device_assigned_by']).orderBy('serial_number').execute()
    t.same(rows, [
      { serial_number: 'C1', asset_tag: 'A1', color: 'Silver', description: 'MBP "14" ✓', device_assigned_by: 'a@example.com' },
      { serial_number: 'C2', asset_tag: null, color: null, description: null, device_assigned_by: null }
    ])
  })
}
