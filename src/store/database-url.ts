/**
 * DEPGATE_DATABASE_URL handling without touching the network: what counts as a PostgreSQL URL, the
 * pool settings depgate reads from it, and the redacted form that is safe in a log line or error
 * (the password never leaves this module in clear).
 */

export const DEFAULT_POOL_SIZE = 10
export const MAX_POOL_SIZE = 1000
/** A dead or firewalled host must fail start-up, not hang it (pg waits forever by default). */
export const DEFAULT_CONNECT_TIMEOUT_MS = 10_000

/** depgate's own query parameters: read here and removed before the URL reaches pg. */
const POOL_SIZE_PARAM = 'pool_size'

export function isPostgresUrl (url: string): boolean {
  return /^postgres(ql)?:\/\/\S+$/.test(url) && URL.canParse(url)
}

/**
 * The URL with any password replaced by `***`: `postgres://user:***@host/db`. Also masks a
 * `password=` query parameter (libpq accepts one). On an unparsable URL everything between the
 * scheme's `user:` and the last `@` is masked, so a password holding `@` or `/` cannot leak either.
 */
export function redactDatabaseUrl (url: string): string {
  const masked = url.replace(/([?&]password=)[^&#]*/gi, '$1***')
  const scheme = /^([a-z][a-z0-9+.-]*:\/\/)(.*)$/i.exec(masked)
  if (scheme === null) return masked.includes('@') ? '***' : masked
  const rest = scheme[2]
  const at = rest.lastIndexOf('@')
  if (at < 0) return masked
  const colon = rest.indexOf(':')
  const user = colon >= 0 && colon < at ? rest.slice(0, colon) + ':***' : rest.slice(0, at)
  return scheme[1] + user + rest.slice(at)
}

export interface PostgresUrlSettings {
  /** The URL for pg, without depgate's own parameters. */
  connectionString: string
  poolSize: number
}

/** Splits depgate's `pool_size` parameter from the URL; throws (redacted) when it is not 1 … 1000. */
export function parsePostgresUrl (url: string, poolSize?: number): PostgresUrlSettings {
  if (!isPostgresUrl(url)) throw new Error(`the database URL ${redactDatabaseUrl(url)} is not a postgres:// or postgresql:// URL`)
  const parsed = new URL(url)
  const fromUrl = parsed.searchParams.get(POOL_SIZE_PARAM)
  parsed.searchParams.delete(POOL_SIZE_PARAM)
  const size = poolSize ?? (fromUrl === null ? DEFAULT_POOL_SIZE : Number(fromUrl))
  if (!Number.isInteger(size) || size < 1 || size > MAX_POOL_SIZE) {
    throw new Error(`the database URL ${redactDatabaseUrl(url)}: ${POOL_SIZE_PARAM} must be a whole number between 1 and ${MAX_POOL_SIZE}`)
  }
  return { connectionString: fromUrl === null ? url : parsed.href, poolSize: size }
}
