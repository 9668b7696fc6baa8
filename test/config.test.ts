import t from 'tap'
import { ConfigError, loadConfig } from '../src/config.js'

t.test('defaults', async (t) => {
  t.same(loadConfig({}), {
    host: '127.0.0.1',
    port: 8080,
    dataDir: './data',
    logLevel: 'info',
    allowDisown: false,
    rateLimit: 600,
    bodyLimit: 1048576,
    simulator: 'auto',
    simulatorDevices: 2000,
    tokenMaxBytes: 65536,
    mirror: { enabled: true, intervalMs: 900000, leaseMs: 30000, pageSize: 1000, feedRetentionMs: 30 * 86400000, fullSyncMinIntervalMs: 600000 },
    assign: { enabled: true, giveUpMs: 7 * 86_400_000 },
    depConnections: 8,
    orgs: { syncIntervalMs: 3_600_000, requestsPerMinute: 20, activityTimeoutMs: 14_400_000 },
    jobRetentionMs: 30 * 86400000,
    jobLeaseMs: 30_000,
    limits: { streamIdleMs: 60_000, streamsPerKey: 4, authFailures: 20, maxConnections: 1024, requestTimeoutMs: 300_000 },
    ui: { sessionMs: 8 * 3_600_000, secureCookies: true },
    webhookRetentionDays: 30,
    webhookLeaseMs: 30_000
  })
})

t.test('every variable is read, empty strings count as unset', async (t) => {
  const c = loadConfig({
    DEPGATE_HOST: '0.0.0.0',
    DEPGATE_PORT: '9000',
    DEPGATE_DATA_DIR: '/var/lib/depgate',
    DEPGATE_DATABASE_URL: 'postgres://db/depgate',
    DEPGATE_ADMIN_KEY: 'Zq8-vR2_pL5xN7cW1mK9tY3bH6dF4gJ0sA',
    DEPGATE_TOKEN_FILE: '/etc/depgate/token.json',
    DEPGATE_DEP_URL: 'http://127.0.0.1:8081',
    DEPGATE_LOG_LEVEL: 'debug',
    DEPGATE_ALLOW_DISOWN: 'true',
    DEPGATE_RATE_LIMIT: '60',
    DEPGATE_BODY_LIMIT: '2048',
    DEPGATE_SIMULATOR: 'off',
    DEPGATE_SIMULATOR_DEVICES: '10',
    DEPGATE_DEP_CONNECTIONS: '32',
    DEPGATE_STREAM_IDLE_TIMEOUT: '5',
    DEPGATE_STREAMS_PER_KEY: '2',
    DEPGATE_AUTH_FAILURE_LIMIT: '100',
    DEPGATE_MAX_CONNECTIONS: '50',
    DEPGATE_REQUEST_TIMEOUT: '30',
    DEPGATE_PORT_UNRELATED: 'x'
  })
  t.match(c, {
    host: '0.0.0.0',
    port: 9000,
    dataDir: '/var/lib/depgate',
    databaseUrl: 'postgres://db/depgate',
    tokenFile: '/etc/depgate/token.json',
    depUrl: 'http://127.0.0.1:8081',
    logLevel: 'debug',
    allowDisown: true,
    rateLimit: 60,
    bodyLimit: 2048,
    simulator: 'off',
    simulatorDevices: 10,
    depConnections: 32,
    limits: { streamIdleMs: 5000, streamsPerKey: 2, authFailures: 100, maxConnections: 50, requestTimeoutMs: 30_000 }
  })
  t.equal(c.adminKey, 'Zq8-vR2_pL5xN7cW1mK9tY3bH6dF4gJ0sA')
  t.equal(loadConfig({ DEPGATE_PORT: '' }).port, 8080)
  t.equal(loadConfig({ DEPGATE_DATABASE_URL: 'postgresql://depgate:pw@db:5433/depgate?pool_size=20&sslmode=verify-full' }).databaseUrl,
    'postgresql://depgate:pw@db:5433/depgate?pool_size=20&sslmode=verify-full', 'postgresql:// too, with depgate\'s pool_size')
  t.equal(loadConfig({ DEPGATE_ALLOW_DISOWN: '0' }).allowDisown, false)
  t.equal(loadConfig({ DEPGATE_FEED_RETENTION_DAYS: '7' }).mirror.feedRetentionMs, 7 * 86_400_000, 'days, kept as milliseconds')
  t.equal(loadConfig({ DEPGATE_JOB_RETENTION_DAYS: '7' }).jobRetentionMs, 7 * 86_400_000, 'days, kept as milliseconds')
  t.equal(loadConfig({ DEPGATE_JOB_LEASE: '5' }).jobLeaseMs, 5000, 'seconds, kept as milliseconds')
  t.equal(loadConfig({ DEPGATE_WEBHOOK_LEASE: '4' }).webhookLeaseMs, 4000, 'seconds, kept as milliseconds')
  t.same(loadConfig({ DEPGATE_WEBHOOK_RETRY_DELAYS: '1, 2,36000' }).webhookRetryDelaysMs, [1000, 2000, 36_000_000], 'seconds, kept as milliseconds')
  t.equal(loadConfig({}).webhookRetryDelaysMs, undefined, 'unset: the built-in schedule')
  t.equal(loadConfig({ DEPGATE_FULL_SYNC_MIN_INTERVAL: '0' }).mirror.fullSyncMinIntervalMs, 0, 'seconds, kept as milliseconds; 0 switches the floor off')
  t.same(loadConfig({ DEPGATE_ASSIGN: 'false', DEPGATE_ASSIGN_GIVE_UP_DAYS: '3' }).assign, { enabled: false, giveUpMs: 3 * 86_400_000 })
  t.same(loadConfig({ DEPGATE_UI_SESSION_HOURS: '1', DEPGATE_UI_INSECURE_COOKIES: 'true' }).ui, { sessionMs: 3_600_000, secureCookies: false }, 'dashboard sessions: hours; cookies without Secure for a plain-HTTP lab')
})

t.test('DEPGATE_MIRROR switches the mirror; DEPGATE_INVENTORY, its older name, still does', async (t) => {
  t.equal(loadConfig({ DEPGATE_MIRROR: 'false' }).mirror.enabled, false)
  t.equal(loadConfig({ DEPGATE_INVENTORY: 'false' }).mirror.enabled, false, 'the alias')
  t.equal(loadConfig({ DEPGATE_MIRROR: 'true', DEPGATE_INVENTORY: 'yes' }).mirror.enabled, true, 'both, agreeing')
  t.throws(() => loadConfig({ DEPGATE_MIRROR: 'true', DEPGATE_INVENTORY: 'false' }), { name: 'ConfigError', variable: 'DEPGATE_MIRROR', message: /contradicts DEPGATE_INVENTORY/ })
  t.throws(() => loadConfig({ DEPGATE_MIRROR: 'maybe' }), { variable: 'DEPGATE_MIRROR', message: /must be true or false/ })
})

const wrong: Array<[string, string, RegExp]> = [
  ['DEPGATE_DEP_CONNECTIONS', '0', /whole number between 1 and 256/],
  ['DEPGATE_FEED_RETENTION_DAYS', '0', /whole number between 1 and 3650/],
  ['DEPGATE_FEED_RETENTION_DAYS', '3651', /whole number between 1 and 3650/],
  ['DEPGATE_JOB_RETENTION_DAYS', '0', /whole number between 1 and 3650/],
  ['DEPGATE_JOB_LEASE', '1', /whole number between 3 and 600/],
  ['DEPGATE_WEBHOOK_LEASE', '601', /whole number between 3 and 600/],
  ['DEPGATE_WEBHOOK_RETRY_DELAYS', '5,0', /comma-separated whole numbers of seconds, each between 1 and 36000/],
  ['DEPGATE_WEBHOOK_RETRY_DELAYS', '5,36001', /each between 1 and 36000/],
  ['DEPGATE_WEBHOOK_RETRY_DELAYS', '5,soon', /comma-separated whole numbers/],
  ['DEPGATE_WEBHOOK_RETRY_DELAYS', Array(21).fill('5').join(','), /up to 20/],
  ['DEPGATE_FULL_SYNC_MIN_INTERVAL', '86401', /whole number between 0 and 86400/],
  ['DEPGATE_PORT', 'eighty', /whole number between 0 and 65535/],
  ['DEPGATE_PORT', '70000', /whole number/],
  ['DEPGATE_PORT', '80.5', /whole number/],
  ['DEPGATE_RATE_LIMIT', '0', /whole number/],
  ['DEPGATE_BODY_LIMIT', '10', /whole number/],
  ['DEPGATE_STREAM_IDLE_TIMEOUT', '0', /whole number between 1 and 3600/],
  ['DEPGATE_STREAMS_PER_KEY', '0', /whole number between 1 and 1000/],
  ['DEPGATE_AUTH_FAILURE_LIMIT', 'many', /whole number between 1 and 1000000/],
  ['DEPGATE_MAX_CONNECTIONS', '0', /whole number between 1 and 1000000/],
  ['DEPGATE_REQUEST_TIMEOUT', '3601', /whole number between 1 and 3600/],
  ['DEPGATE_SIMULATOR', 'maybe', /auto, on or off/],
  ['DEPGATE_SIMULATOR_DEVICES', '-1', /whole number/],
  ['DEPGATE_LOG_LEVEL', 'loud', /must be one of/],
  ['DEPGATE_ALLOW_DISOWN', 'sure', /true or false/],
  ['DEPGATE_DEP_URL', 'ftp://apple', /http\(s\) URL/],
  ['DEPGATE_DEP_URL', 'not a url', /http\(s\) URL/],
  ['DEPGATE_DATABASE_URL', 'mysql://depgate:s3cret@db/depgate', /must be a postgres:\/\/ or postgresql:\/\/ URL/],
  ['DEPGATE_DATABASE_URL', 'postgres://', /must be a postgres:\/\/ or postgresql:\/\/ URL/],
  ['DEPGATE_DATABASE_URL', 'postgres://depgate:s3cret@db/depgate?pool_size=0', /pool_size that is not a whole number between 1 and 1000/],
  ['DEPGATE_ADMIN_KEY', 'hunter2', /at least 32 characters/],
  ['DEPGATE_ADMIN_KEY', 'abababababababababababababababababab', /too weak/]
]

for (const [variable, value, reason] of wrong) {
  t.test(`${variable}=${value} is refused, naming the variable`, async (t) => {
    const err = t.throws(() => loadConfig({ [variable]: value })) as ConfigError
    t.ok(err instanceof ConfigError)
    t.equal(err.variable, variable)
    t.match(err.message, new RegExp(`^Invalid configuration: ${variable} `))
    t.match(err.message, reason)
    if (variable === 'DEPGATE_ADMIN_KEY') t.notMatch(err.message, value, 'never echoes the key')
    t.notMatch(err.message, 's3cret', 'never echoes a database password')
  })
}
