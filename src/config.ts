/**
 * depgate's configuration, read once from `DEPGATE_*` environment variables and validated by zod.
 * A wrong value stops the service at start with a message naming the variable, so an operator
 * never has to guess which of a dozen variables was mistyped.
 */
import { z } from 'zod'
import { httpUrlSchema } from './api/url-policy.js'
import { DEFAULT_CONNECTIONS } from './dep/options.js'
import { parseRetryDelays } from './events/backoff.js'
import { parseAllowList } from './events/url-policy.js'
import { isPostgresUrl, MAX_POOL_SIZE, parsePostgresUrl } from './store/database-url.js'
import { parseSecretKey } from './tokens/secret-key-file.js'

export const SIMULATOR_MODES = ['auto', 'on', 'off'] as const
export type SimulatorMode = typeof SIMULATOR_MODES[number]
export const LOG_LEVELS = ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'] as const

/** Shortest admin key accepted: 32 characters leave no room for a guessable word. */
export const MIN_ADMIN_KEY_LENGTH = 32

const bool = z.enum(['true', 'false', '1', '0', 'yes', 'no'], 'must be true or false').transform((v) => v === 'true' || v === '1' || v === 'yes')
const int = (min: number, max: number) => z.coerce.number({ error: `must be a whole number between ${min} and ${max}` })
  .int(`must be a whole number between ${min} and ${max}`)
  .min(min, `must be a whole number between ${min} and ${max}`)
  .max(max, `must be a whole number between ${min} and ${max}`)

/** Rejects keys that are long but trivially guessable (`aaaa…`, `0123…`): fewer than 8 distinct characters. */
const adminKey = z.string()
  .min(MIN_ADMIN_KEY_LENGTH, `must be at least ${MIN_ADMIN_KEY_LENGTH} characters (generate one with: openssl rand -base64 32)`)
  .refine((v) => new Set(v).size >= 8, 'is too weak (too few distinct characters); generate one with: openssl rand -base64 32')

/** Each entry: environment variable → its schema. Keys of the resulting config are derived below. */
const envSchema = z.object({
  DEPGATE_HOST: z.string().min(1).default('127.0.0.1'),
  DEPGATE_PORT: int(0, 65535).default(8080),
  DEPGATE_DATA_DIR: z.string().min(1).default('./data'),
  // Never echoed (it may hold the password); the store redacts it wherever it names the database.
  DEPGATE_DATABASE_URL: z.string()
    .refine(isPostgresUrl, 'must be a postgres:// or postgresql:// URL, e.g. postgres://depgate:PASSWORD@db.internal:5432/depgate')
    .refine((v) => { try { parsePostgresUrl(v); return true } catch { return false } }, `has a pool_size that is not a whole number between 1 and ${MAX_POOL_SIZE}`)
    .optional(),
  DEPGATE_ADMIN_KEY: adminKey.optional(),
  DEPGATE_TOKEN_FILE: z.string().min(1).optional(),
  DEPGATE_DEP_URL: httpUrlSchema('must be an http(s) URL').optional(),
  DEPGATE_LOG_LEVEL: z.enum(LOG_LEVELS, `must be one of ${LOG_LEVELS.join(', ')}`).default('info'),
  DEPGATE_ALLOW_DISOWN: bool.default(false),
  DEPGATE_RATE_LIMIT: int(1, 1_000_000).default(600),
  DEPGATE_BODY_LIMIT: int(1024, 100 * 1024 * 1024).default(1024 * 1024),
  DEPGATE_SIMULATOR: z.enum(SIMULATOR_MODES, 'must be auto, on or off').default('auto'),
  DEPGATE_SIMULATOR_DEVICES: int(0, 1_000_000).default(2000),
  DEPGATE_SECRET_KEY: z.string().refine((v) => { try { parseSecretKey(v); return true } catch { return false } },
    'must be 32 random bytes as 64 hex digits or base64 (generate one with: openssl rand -base64 32)').optional(),
  DEPGATE_TOKEN_MAX_BYTES: int(1024, 1024 * 1024).default(64 * 1024),
  DEPGATE_TOKEN_WEBHOOK_URL: z.url({ protocol: /^https?$/, error: 'must be an http(s) URL' }).optional(),
  DEPGATE_MIRROR: bool.optional(),
  // The variable's first name, still read: deployments set it before the concept was called the mirror.
  DEPGATE_INVENTORY: bool.optional(),
  DEPGATE_SYNC_INTERVAL: int(5, 86_400).default(900),
  DEPGATE_SYNC_LEASE: int(3, 600).default(30),
  // 0 lets every POST …/sync?full=true through; a full fetch re-reads the whole fleet from Apple.
  DEPGATE_FULL_SYNC_MIN_INTERVAL: int(0, 86_400).default(600),
  DEPGATE_SYNC_PAGE_SIZE: int(1, 1000).default(1000),
  DEPGATE_FEED_RETENTION_DAYS: int(1, 3650).default(30),
  DEPGATE_ASSIGN: bool.default(true),
  DEPGATE_ASSIGN_GIVE_UP_DAYS: int(1, 365).default(7),
  DEPGATE_JOB_RETENTION_DAYS: int(1, 3650).default(30),
  DEPGATE_JOB_LEASE: int(3, 600).default(30),
  DEPGATE_DEP_CONNECTIONS: int(1, 256).default(DEFAULT_CONNECTIONS),
  DEPGATE_STREAM_IDLE_TIMEOUT: int(1, 3600).default(60),
  DEPGATE_STREAMS_PER_KEY: int(1, 1000).default(4),
  DEPGATE_AUTH_FAILURE_LIMIT: int(1, 1_000_000).default(20),
  DEPGATE_MAX_CONNECTIONS: int(1, 1_000_000).default(1024),
  DEPGATE_REQUEST_TIMEOUT: int(1, 3600).default(300),
  // Comma-separated host patterns webhooks may be sent to (src/events/url-policy.ts); unset: any host.
  DEPGATE_WEBHOOK_ALLOW: z.string().optional(),
  // Days succeeded webhook deliveries and the events no delivery needs are kept.
  DEPGATE_WEBHOOK_RETENTION_DAYS: z.coerce.number().int().min(1).max(3650).default(30),
  // Seconds the delivering replica's claim lasts without renewal: another replica delivers about this long after it dies.
  DEPGATE_WEBHOOK_LEASE: int(3, 600).default(30),
  // The delays between a failed delivery's attempts, in seconds, the last one repeated (default 5,300,1800,7200,18000,36000).
  DEPGATE_WEBHOOK_RETRY_DELAYS: z.string().refine((v) => parseRetryDelays(v) !== undefined,
    'must be up to 20 comma-separated whole numbers of seconds, each between 1 and 36000 (10 hours), e.g. 5,300,1800').optional(),
  // The org mirror (docs/apple-axm.md §6): Apple publishes no rate limits; about 20 GETs a minute was measured by one client only.
  DEPGATE_ORG_SYNC_INTERVAL: int(60, 7 * 86_400).default(3600),
  DEPGATE_ORG_REQUEST_BUDGET: int(1, 10_000).default(20),
  // Seconds an org device activity may stay IN_PROGRESS at Apple before its job gives it up (Apple's example took 11 s).
  DEPGATE_ORG_ACTIVITY_TIMEOUT: int(60, 7 * 86_400).default(14_400),
  DEPGATE_UI_SESSION_HOURS: int(1, 24 * 90).default(8),
  DEPGATE_UI_INSECURE_COOKIES: bool.default(false),
  DEPGATE_TOKEN_WEBHOOK_SECRET: z.string().min(16, 'must be at least 16 characters (generate one with: openssl rand -base64 32)').optional()
})

export interface Config {
  host: string
  port: number
  dataDir: string
  /** PostgreSQL instead of SQLite under dataDir; holds the password, so only ever shown through redactDatabaseUrl. */
  databaseUrl?: string
  adminKey?: string
  tokenFile?: string
  depUrl?: string
  logLevel: typeof LOG_LEVELS[number]
  allowDisown: boolean
  /** Requests per minute per API key (or per IP without a key). */
  rateLimit: number
  bodyLimit: number
  simulator: SimulatorMode
  simulatorDevices: number
  /** Key of the secret box (32 bytes, hex or base64); else a 0600 key file in the data dir. */
  secretKey?: string
  /** Largest .p7m upload accepted. */
  tokenMaxBytes: number
  /** A webhook subscription made at start for the token events, signed with this secret (plugins/app/webhooks.ts). */
  tokenWebhook?: { url: string, secret: string }
  /** The device mirror: on by default; off serves every device read live from Apple. */
  /** feedRetentionMs: how long the change feed keeps a device's removal (feed-compaction.ts). */
  /** fullSyncMinIntervalMs: the least time between two full fetches a `POST …/sync?full=true` may start. */
  mirror: { enabled: boolean, intervalMs: number, leaseMs: number, pageSize: number, feedRetentionMs: number, fullSyncMinIntervalMs: number }
  /** The assignment engine (needs the mirror; idle while a server has no rules); giveUpMs: DEPGATE_ASSIGN_GIVE_UP_DAYS. */
  assign: { enabled: boolean, giveUpMs: number }
  /** Connections to Apple per DEP server: calls beyond them wait for a free one. */
  depConnections: number
  /** The org mirror: a whole refresh every syncIntervalMs, at most requestsPerMinute GETs to Apple per org (refresh, jobs and live calls); activityTimeoutMs: DEPGATE_ORG_ACTIVITY_TIMEOUT. */
  orgs: { syncIntervalMs: number, requestsPerMinute: number, activityTimeoutMs: number }
  /** How long a finished job and its per-serial results are kept (src/jobs). */
  jobRetentionMs: number
  /** A job's claim length without a heartbeat: a job of a dead process resumes about this long after. */
  jobLeaseMs: number
  /** What one client may hold or try (README, "Security notes"). */
  limits: Limits
  /** Host patterns webhook URLs must match (DEPGATE_WEBHOOK_ALLOW); absent or empty: any host. */
  webhookAllow?: string[]
  /** DEPGATE_WEBHOOK_RETENTION_DAYS. */
  webhookRetentionDays: number
  /** DEPGATE_WEBHOOK_LEASE: the delivery lease's length. */
  webhookLeaseMs: number
  /** DEPGATE_WEBHOOK_RETRY_DELAYS; absent: backoff.ts's schedule. */
  webhookRetryDelaysMs?: number[]
  /** The dashboard: how long a sign-in lasts; `secureCookies` false only for plain-HTTP labs (DEPGATE_UI_INSECURE_COOKIES). */
  ui: { sessionMs: number, secureCookies: boolean }
}

export interface Limits {
  /** A whole-list answer whose reader takes nothing for this long is closed (its snapshot, reader and buffers freed). */
  streamIdleMs: number
  /** Whole-list answers (streams, sorted snapshots, live lists) one API key may have open at once. */
  streamsPerKey: number
  /** Failed authentications per minute per client address, and per key id, before 429 without checking. */
  authFailures: number
  /** Open connections at most (node's server.maxConnections): beyond, new ones are dropped. */
  maxConnections: number
  /** A request (headers and body) must have arrived within this (node's requestTimeout). */
  requestTimeoutMs: number
}

export class ConfigError extends Error {
  constructor (readonly variable: string, reason: string) {
    super(`Invalid configuration: ${variable} ${reason}`)
    this.name = 'ConfigError'
  }
}

/** Validates the environment; throws a ConfigError naming the first wrong variable. Empty strings count as unset. */
export function loadConfig (env: Record<string, string | undefined> = process.env): Config {
  const input: Record<string, string> = {}
  for (const key of Object.keys(envSchema.shape)) {
    const value = env[key]
    if (value !== undefined && value !== '') input[key] = value
  }
  const parsed = envSchema.safeParse(input)
  if (!parsed.success) {
    const issue = parsed.error.issues[0]
    const variable = String(issue.path[0])
    // Never echo the value: DEPGATE_ADMIN_KEY is a secret, DEPGATE_DATABASE_URL may hold a password.
    throw new ConfigError(variable, issue.message)
  }
  const e = parsed.data
  const config: Config = {
    host: e.DEPGATE_HOST,
    port: e.DEPGATE_PORT,
    dataDir: e.DEPGATE_DATA_DIR,
    logLevel: e.DEPGATE_LOG_LEVEL,
    allowDisown: e.DEPGATE_ALLOW_DISOWN,
    rateLimit: e.DEPGATE_RATE_LIMIT,
    bodyLimit: e.DEPGATE_BODY_LIMIT,
    simulator: e.DEPGATE_SIMULATOR,
    simulatorDevices: e.DEPGATE_SIMULATOR_DEVICES,
    tokenMaxBytes: e.DEPGATE_TOKEN_MAX_BYTES,
    mirror: { enabled: e.DEPGATE_MIRROR ?? e.DEPGATE_INVENTORY ?? true, intervalMs: e.DEPGATE_SYNC_INTERVAL * 1000, leaseMs: e.DEPGATE_SYNC_LEASE * 1000, pageSize: e.DEPGATE_SYNC_PAGE_SIZE, feedRetentionMs: e.DEPGATE_FEED_RETENTION_DAYS * 86_400_000, fullSyncMinIntervalMs: e.DEPGATE_FULL_SYNC_MIN_INTERVAL * 1000 },
    assign: { enabled: e.DEPGATE_ASSIGN, giveUpMs: e.DEPGATE_ASSIGN_GIVE_UP_DAYS * 86_400_000 },
    depConnections: e.DEPGATE_DEP_CONNECTIONS,
    orgs: { syncIntervalMs: e.DEPGATE_ORG_SYNC_INTERVAL * 1000, requestsPerMinute: e.DEPGATE_ORG_REQUEST_BUDGET, activityTimeoutMs: e.DEPGATE_ORG_ACTIVITY_TIMEOUT * 1000 },
    jobRetentionMs: e.DEPGATE_JOB_RETENTION_DAYS * 86_400_000,
    jobLeaseMs: e.DEPGATE_JOB_LEASE * 1000,
    webhookRetentionDays: e.DEPGATE_WEBHOOK_RETENTION_DAYS,
    webhookLeaseMs: e.DEPGATE_WEBHOOK_LEASE * 1000,
    limits: {
      streamIdleMs: e.DEPGATE_STREAM_IDLE_TIMEOUT * 1000,
      streamsPerKey: e.DEPGATE_STREAMS_PER_KEY,
      authFailures: e.DEPGATE_AUTH_FAILURE_LIMIT,
      maxConnections: e.DEPGATE_MAX_CONNECTIONS,
      requestTimeoutMs: e.DEPGATE_REQUEST_TIMEOUT * 1000
    },
    ui: { sessionMs: e.DEPGATE_UI_SESSION_HOURS * 3_600_000, secureCookies: !e.DEPGATE_UI_INSECURE_COOKIES }
  }
  if (e.DEPGATE_MIRROR !== undefined && e.DEPGATE_INVENTORY !== undefined && e.DEPGATE_MIRROR !== e.DEPGATE_INVENTORY) {
    throw new ConfigError('DEPGATE_MIRROR', 'contradicts DEPGATE_INVENTORY (its older name): set only DEPGATE_MIRROR')
  }
  if (e.DEPGATE_SECRET_KEY !== undefined) config.secretKey = e.DEPGATE_SECRET_KEY
  if ((e.DEPGATE_TOKEN_WEBHOOK_URL === undefined) !== (e.DEPGATE_TOKEN_WEBHOOK_SECRET === undefined)) {
    throw new ConfigError(e.DEPGATE_TOKEN_WEBHOOK_URL === undefined ? 'DEPGATE_TOKEN_WEBHOOK_URL' : 'DEPGATE_TOKEN_WEBHOOK_SECRET',
      'must be set together with ' + (e.DEPGATE_TOKEN_WEBHOOK_URL === undefined ? 'DEPGATE_TOKEN_WEBHOOK_SECRET' : 'DEPGATE_TOKEN_WEBHOOK_URL') + ': token events are always signed')
  }
  if (e.DEPGATE_TOKEN_WEBHOOK_URL !== undefined) config.tokenWebhook = { url: e.DEPGATE_TOKEN_WEBHOOK_URL, secret: e.DEPGATE_TOKEN_WEBHOOK_SECRET! }
  if (e.DEPGATE_WEBHOOK_ALLOW !== undefined) config.webhookAllow = parseAllowList(e.DEPGATE_WEBHOOK_ALLOW)
  if (e.DEPGATE_WEBHOOK_RETRY_DELAYS !== undefined) config.webhookRetryDelaysMs = parseRetryDelays(e.DEPGATE_WEBHOOK_RETRY_DELAYS)
  if (e.DEPGATE_DATABASE_URL !== undefined) config.databaseUrl = e.DEPGATE_DATABASE_URL
  if (e.DEPGATE_ADMIN_KEY !== undefined) config.adminKey = e.DEPGATE_ADMIN_KEY
  if (e.DEPGATE_TOKEN_FILE !== undefined) config.tokenFile = e.DEPGATE_TOKEN_FILE
  if (e.DEPGATE_DEP_URL !== undefined) config.depUrl = e.DEPGATE_DEP_URL
  return config
}
