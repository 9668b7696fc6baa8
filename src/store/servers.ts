import type { Kysely } from 'kysely'
import type { ServerToken } from '../dep/token.js'
import type { Database } from './schema.js'

export interface ServerRecord {
  name: string
  token: ServerToken
  baseUrl?: string
  createdAt: string
  updatedAt: string
}

export interface ServerRepository {
  list (): Promise<ServerRecord[]>
  get (name: string): Promise<ServerRecord | undefined>
  /** Creates or replaces; `created` tells which (PUT answers 201 or 200). */
  upsert (input: { name: string, token: ServerToken, baseUrl?: string }): Promise<{ record: ServerRecord, created: boolean }>
  delete (name: string): Promise<boolean>
}

function toRecord (row: Database['servers']): ServerRecord {
  const r: ServerRecord = {
    name: row.name,
    token: JSON.parse(row.token) as ServerToken,
    createdAt: row.created_at,
    updatedAt: row.updated_at
  }
  if (row.base_url !== null) r.baseUrl = row.base_url
  return r
}

export function createServerRepository (db: Kysely<Database>, now: () => Date): ServerRepository {
  return {
    async list () {
      const rows = await db.selectFrom('servers').selectAll().orderBy('name').execute()
      return rows.map(toRecord)
    },
    async get (name) {
      const row = await db.selectFrom('servers').selectAll().where('name', '=', name).executeTakeFirst()
      return row === undefined ? undefined : toRecord(row)
    },
    async upsert ({ name, token, baseUrl }) {
      const at = now().toISOString()
      // A transaction keeps "did it exist" and the write together; ON CONFLICT would too but reads back less clearly.
      return await db.transaction().execute(async (trx) => {
        const existing = await trx.selectFrom('servers').select('created_at').where('name', '=', name).executeTakeFirst()
        const values = { token: JSON.stringify(token), base_url: baseUrl ?? null, updated_at: at }
        if (existing === undefined) {
          await trx.insertInto('servers').values({ name, created_at: at, ...values }).execute()
        } else {
          await trx.updateTable('servers').set(values).where('name', '=', name).execute()
        }
        const record = toRecord({ name, created_at: existing?.created_at ?? at, ...values })
        return { record, created: existing === undefined }
      })
    },
    async delete (name) {
      const res = await db.deleteFrom('servers').where('name', '=', name).executeTakeFirst()
      return res.numDeletedRows > 0n
    }
  }
}
