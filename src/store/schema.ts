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
}

export interface Database {
  servers: ServersTable
  server_keys: ServerKeysTable
  api_keys: ApiKeysTable
  audit_log: AuditLogTable
}
