/**
 * Kysely's PostgreSQL introspector, narrowed to the connection's own schema. Kysely's Migrator asks
 * "does my migration table exist?" by listing every table of every schema, with each column's
 * default and serial sequence resolved by name. When another app (or a parallel test run) drops or
 * alters a schema during that listing, the query itself fails (3F000 invalid_schema_name, 42703
 * undefined_column), and the start fails with it. depgate only ever looks at its own schema, so
 * only its tables are listed, by catalog oids, which a concurrent drop cannot break.
 */
import { type DatabaseIntrospector, type DatabaseMetadata, type Kysely, sql, type TableMetadata } from 'kysely'

export class OwnSchemaIntrospector implements DatabaseIntrospector {
  constructor (private readonly db: Kysely<any>, private readonly all: DatabaseIntrospector) {}

  /** Schemas are listed from pg_namespace alone: a concurrent drop cannot fail that. */
  async getSchemas (): Promise<Array<{ name: string }>> {
    return await this.all.getSchemas()
  }

  /**
   * The tables and views of current_schema(), Kysely's own tables included, without their
   * columns: the Migrator, the one caller, needs names only.
   */
  async getTables (): Promise<TableMetadata[]> {
    const { rows } = await sql<{ name: string, schema: string, is_view: boolean }>`
      select c.relname as name, n.nspname as schema, c.relkind = 'v' as is_view
      from pg_catalog.pg_class c join pg_catalog.pg_namespace n on n.oid = c.relnamespace
      where n.nspname = current_schema() and c.relkind in ('r', 'p', 'v')
      order by c.relname`.execute(this.db)
    return rows.map((r) => ({ name: r.name, schema: r.schema, isView: r.is_view, columns: [] }))
  }

  async getMetadata (): Promise<DatabaseMetadata> {
    return { tables: await this.getTables() }
  }
}
