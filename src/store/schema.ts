/**
 * Table types for Kysely. Timestamps are ISO-8601 UTC strings everywhere (text columns), so the
 * same queries run unchanged on SQLite and PostgreSQL and sort correctly as text.
 */
export interface ServersTable {
  name: string
  /** The server token as JSON text. */
  token: string
  base_url: string | null
  created_at: string
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
}

export interface Database {
  servers: ServersTable
  api_keys: ApiKeysTable
  audit_log: AuditLogTable
}
