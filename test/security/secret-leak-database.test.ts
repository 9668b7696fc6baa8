/**
 * The secrets that live outside requests: the password inside DEPGATE_DATABASE_URL, the secret-box
 * key (DEPGATE_SECRET_KEY, a second key for a rotation) and the webhook secret. Known values are
 * sent through every place that handles them: config validation (loadConfig and the CLI), a start-up
 * that cannot reach PostgreSQL (a refused port, no such database, no such role), a start
 * on a store sealed with another key, and a running app on PostgreSQL with a password in its URL,
 * its mirror syncing against the simulator, through two outages (its role refused connections; the
 * database's port gone) that each cut a sync in progress. Every error (message,
 * stack, every property and cause), CLI output, start banner, response (status, headers, body) and
 * log line (at trace) is then scanned for any 16-character run of any of them in any encoding.
 */
import { once } from 'node:events'
import { connect, createServer, type Socket } from 'node:net'
import { inspect } from 'node:util'
import t, { type Test } from 'tap'
import { main } from '../../src/cli.js'
import { loadConfig } from '../../src/config.js'
import { buildServer } from '../../src/server.js'
import { startDepgate } from '../../src/start.js'
import { adminQuery, createRoleSchema, createTestSchema, TEST_POSTGRES_URL, withPassword } from '../databases.js'
import { cliIo, logCapture, tempDir, until } from '../helper.js'
import { LEAK_ADMIN_KEY, LEAK_DATABASE_PASSWORD, LEAK_SECRET_KEY, LEAK_WEBHOOK_SECRET, SecretScanner } from './leak-kit.js'

/** A password with the characters a URL must escape: it shows up percent-encoded in the URL, decoded in pg. */
const ODD_PASSWORD = 'p@ss/w:rd?leakprobe#7d2b9e4f1a6c3058%'
/** A second secret-box key (32 bytes, base64): the key a rotation moves to, or a wrong key at start. */
const OTHER_SECRET_KEY = Buffer.from('other-key-leakprobe-3c9f1a7e5b2d').toString('base64')

const WATCHED: Array<[string, string]> = [
  ['the database password', LEAK_DATABASE_PASSWORD],
  ['the database password with URL characters', ODD_PASSWORD],
  ['DEPGATE_SECRET_KEY', LEAK_SECRET_KEY],
  ['DEPGATE_SECRET_KEY as base64', Buffer.from(LEAK_SECRET_KEY, 'hex').toString('base64')],
  ['DEPGATE_SECRET_KEY as base64url', Buffer.from(LEAK_SECRET_KEY, 'hex').toString('base64url')],
  ['the other secret key', OTHER_SECRET_KEY],
  ['the other secret key as hex', Buffer.from(OTHER_SECRET_KEY, 'base64').toString('hex')],
  ['DEPGATE_TOKEN_WEBHOOK_SECRET', LEAK_WEBHOOK_SECRET],
  ['DEPGATE_ADMIN_KEY', LEAK_ADMIN_KEY]
]

function scanner (): SecretScanner {
  const s = new SecretScanner()
  for (const [name, value] of WATCHED) s.add(name, value)
  return s
}

/** Everything a scenario showed: collected as it goes, scanned at the end of its test. */
class Shown {
  readonly items: Array<{ where: string, text: string }> = []

  add (where: string, text: string): void { this.items.push({ where, text }) }

  /** An error as anyone could see it: message, stack, and every property (causes, pg's fields) as inspect prints them. */
  error (where: string, err: unknown): void {
    const e = err as Error | undefined
    this.add(where, `${String(e?.message)}\n${String(e?.stack)}\n${inspect(err, { depth: 10, showHidden: true })}`)
  }

  /** Fails `t` with every finding. */
  check (t: Test): void {
    const s = scanner()
    const leaks = this.items.map((i) => s.scan(i.text, i.where)).filter((f) => f !== undefined)
    t.same(leaks, [], `no secret in ${this.items.length} errors, outputs, answers and log lines`)
  }
}

/** Runs a CLI command and records what it printed, its exit code or what it threw. */
async function cli (shown: Shown, argv: string[], env: Record<string, string>): Promise<number | Error> {
  const io = cliIo(env)
  const result = await main(argv, io).catch((err: unknown) => err as Error)
  shown.add(`depgate ${argv.join(' ')}: output`, [...io.out, ...io.err].join(''))
  if (result instanceof Error) shown.error(`depgate ${argv.join(' ')}: error`, result)
  return result
}

t.test('the scan sees each watched secret, in plain text, URL-encoded and inside a URL', async (t) => {
  const s = scanner()
  for (const [name, value] of WATCHED) {
    // (A key's base64 and base64url forms may coincide: either name will do.)
    t.ok(s.scan(`… ${value} …`, 'probe'), `sees ${name}`)
    t.ok(s.scan(`… ${encodeURIComponent(value)} …`, 'probe'), `sees ${name} URL-encoded`)
  }
  t.equal(s.scan(withPassword('postgres://h:5432/d', ODD_PASSWORD), 'probe')?.secret, 'the database password with URL characters')
  t.equal(s.scan('postgres://postgres:***@127.0.0.1:1/test', 'probe'), undefined, 'a redacted URL passes')
})

t.test('config validation never repeats a database URL, secret key or webhook secret', async (t) => {
  const shown = new Shown()
  const dataDir = tempDir(t)
  const badUrls = [
    `mysql://depgate:${LEAK_DATABASE_PASSWORD}@db.internal/depgate`,
    `postgres://depgate:${LEAK_DATABASE_PASSWORD}@db.internal:5432/depgate?pool_size=0`,
    `postgresql://depgate:${LEAK_DATABASE_PASSWORD}@db.internal/depgate?pool_size=many`,
    `postgres://depgate:${LEAK_DATABASE_PASSWORD} @db.internal/depgate`,
    `postgres://depgate:${LEAK_DATABASE_PASSWORD}@[db.internal/depgate`,
    `postgres://db.internal/depgate?password=${LEAK_DATABASE_PASSWORD}&pool_size=-1`,
    `postgres://depgate:${encodeURIComponent(ODD_PASSWORD)}@db.internal/depgate?pool_size=1001`,
    LEAK_DATABASE_PASSWORD
  ]
  const badKeys = [LEAK_SECRET_KEY.slice(1), `${LEAK_SECRET_KEY}0`, `${LEAK_SECRET_KEY.slice(0, 63)}g`, OTHER_SECRET_KEY.slice(2), `${OTHER_SECRET_KEY}AAAA`]
  const envs: Array<Record<string, string>> = [
    ...badUrls.map((url) => ({ DEPGATE_DATABASE_URL: url })),
    ...badKeys.map((key) => ({ DEPGATE_SECRET_KEY: key })),
    { DEPGATE_TOKEN_WEBHOOK_SECRET: LEAK_WEBHOOK_SECRET },
    { DEPGATE_TOKEN_WEBHOOK_SECRET: LEAK_WEBHOOK_SECRET, DEPGATE_TOKEN_WEBHOOK_URL: `ftp://hooks.example.com/${LEAK_WEBHOOK_SECRET}` },
    { DEPGATE_TOKEN_WEBHOOK_URL: 'https://hooks.example.com/depgate' },
    // A valid URL with a password beside another variable's error: the error is about the other one.
    { DEPGATE_DATABASE_URL: withPassword('postgres://h/d', LEAK_DATABASE_PASSWORD), DEPGATE_SECRET_KEY: LEAK_SECRET_KEY.slice(2) }
  ]
  for (const [i, extra] of envs.entries()) {
    const env = { DEPGATE_DATA_DIR: dataDir, DEPGATE_ADMIN_KEY: LEAK_ADMIN_KEY, ...extra }
    const err = (() => { try { loadConfig(env); return undefined } catch (e) { return e } })()
    t.match(err, { name: 'ConfigError' }, `case ${i} is refused`)
    shown.error(`loadConfig case ${i}`, err)
    // Every command that reads the configuration reports it the same way (exit code 2, one line on stderr).
    for (const argv of [['serve'], ['keys', 'list'], ['secrets', 'rotate'], ['token', 'import', 'default', 'x.p7m']]) {
      t.equal(await cli(shown, argv, env), 2, `depgate ${argv.join(' ')}, case ${i}: exit code 2`)
    }
  }
  shown.check(t)
})

t.test('a start-up that cannot use PostgreSQL names the database without its password', async (t) => {
  const shown = new Shown()
  const dataDir = tempDir(t)
  const { url } = await createTestSchema(t)
  const urls = [
    // The port refuses connections.
    withPassword(url.replace(':5432/', ':1/'), LEAK_DATABASE_PASSWORD),
    withPassword(url.replace(':5432/', ':1/'), ODD_PASSWORD, 'depgate'),
    `postgres://postgres@127.0.0.1:1/test?password=${LEAK_DATABASE_PASSWORD}`,
    // The server answers and refuses: no such database, no such role.
    withPassword(url, LEAK_DATABASE_PASSWORD).replace('/test?', '/depgate_no_such_database?'),
    withPassword(url, ODD_PASSWORD, 'depgate_no_such_role')
  ]
  for (const [i, databaseUrl] of urls.entries()) {
    const env = { DEPGATE_DATA_DIR: dataDir, DEPGATE_DATABASE_URL: databaseUrl, DEPGATE_ADMIN_KEY: LEAK_ADMIN_KEY, DEPGATE_SECRET_KEY: LEAK_SECRET_KEY, DEPGATE_LOG_LEVEL: 'trace', DEPGATE_PORT: '0' }
    const config = loadConfig(env)
    const logs = logCapture()
    const out: string[] = []
    const started = await startDepgate({ config, out: (l) => out.push(l), logStream: logs.stream }).catch((e: unknown) => e as Error)
    t.match(started, { message: /^cannot connect to PostgreSQL at postgres:\/\/[^@]*@127\.0\.0\.1:/ }, `startDepgate, case ${i}: refused`)
    shown.error(`startDepgate case ${i}`, started)
    const built = await buildServer(config, { logStream: logs.stream }).catch((e: unknown) => e as Error)
    t.match(built, { message: /^cannot connect to PostgreSQL at / }, `buildServer, case ${i}: refused`)
    shown.error(`buildServer case ${i}`, built)
    shown.add(`start case ${i}: banner and logs`, [...out, ...logs.lines].join('\n'))
    for (const argv of [['keys', 'list'], ['secrets', 'rotate', '--new-key-env', 'NEW_KEY']]) {
      t.type(await cli(shown, argv, { ...env, NEW_KEY: OTHER_SECRET_KEY }), Error, `depgate ${argv.join(' ')}, case ${i}: fails`)
    }
  }
  shown.check(t)
})

t.test('a store sealed with one key, opened with another: the refusal names key ids, never keys', async (t) => {
  const shown = new Shown()
  const dataDir = tempDir(t)
  const base = { DEPGATE_DATA_DIR: dataDir, DEPGATE_ADMIN_KEY: LEAK_ADMIN_KEY, DEPGATE_LOG_LEVEL: 'trace', DEPGATE_PORT: '0', DEPGATE_SIMULATOR_DEVICES: '2' }
  const logs = logCapture()
  const out: string[] = []
  const first = await startDepgate({ config: loadConfig({ ...base, DEPGATE_SECRET_KEY: LEAK_SECRET_KEY }), out: (l) => out.push(l), logStream: logs.stream })
  const staged = await fetch(`${first.url}/v1/servers/default/certificate`, { method: 'POST', headers: { authorization: `Bearer ${LEAK_ADMIN_KEY}` } })
  t.equal(staged.status, 201, 'a private key is sealed too')
  shown.add('certificate', await staged.text())
  await first.close()

  const wrong = await startDepgate({ config: loadConfig({ ...base, DEPGATE_SECRET_KEY: OTHER_SECRET_KEY }), out: (l) => out.push(l), logStream: logs.stream }).catch((e: unknown) => e as Error)
  t.match(wrong, { code: 'SECRET_BOX_WRONG_KEY' }, 'the other key cannot open the store')
  shown.error('start with the wrong key', wrong)
  const env = { ...base, DEPGATE_SECRET_KEY: LEAK_SECRET_KEY, NEW_KEY: OTHER_SECRET_KEY, SAME_KEY: Buffer.from(LEAK_SECRET_KEY, 'hex').toString('base64'), BAD_KEY: OTHER_SECRET_KEY.slice(3) }
  t.equal(await cli(shown, ['secrets', 'rotate', '--yes'], env), 2, 'rotate without --new-key-env under DEPGATE_SECRET_KEY')
  t.equal(await cli(shown, ['secrets', 'rotate', '--yes', '--new-key-env', 'SAME_KEY'], env), 2, 'rotate to the same key')
  t.equal(await cli(shown, ['secrets', 'rotate', '--yes', '--new-key-env', 'BAD_KEY'], env), 1, 'rotate to a malformed key')
  t.equal(await cli(shown, ['secrets', 'rotate', '--yes', '--new-key-env', 'NEW_KEY'], env), 0, 'rotate to the other key')
  t.equal(await cli(shown, ['keys', 'list'], { ...env, DEPGATE_SECRET_KEY: OTHER_SECRET_KEY }), 0, 'the store opens with the new key')
  const again = await startDepgate({ config: loadConfig({ ...base, DEPGATE_SECRET_KEY: LEAK_SECRET_KEY }), out: (l) => out.push(l), logStream: logs.stream }).catch((e: unknown) => e as Error)
  t.match(again, { code: 'SECRET_BOX_WRONG_KEY' }, 'and the old key no longer does')
  shown.error('start with the old key', again)
  shown.add('banners and logs', [...out, ...logs.lines].join('\n'))
  t.ok(logs.lines.length > 0, `${logs.lines.length} log lines`)
  shown.check(t)
})

/** A TCP relay to PostgreSQL: `cut` closes it and every connection through it, so its port then refuses. */
async function relay (t: Test, target: URL) {
  const sockets = new Set<Socket>()
  const server = createServer((client) => {
    const upstream = connect(Number(target.port), target.hostname)
    sockets.add(client).add(upstream)
    const drop = () => { client.destroy(); upstream.destroy() }
    client.on('error', drop).on('close', drop)
    upstream.on('error', drop).on('close', drop)
    client.pipe(upstream).pipe(client)
  })
  server.listen(0, '127.0.0.1')
  await once(server, 'listening')
  const address = server.address()
  const port = typeof address === 'object' && address !== null ? address.port : 0
  const cut = () => {
    if (server.listening) server.close()
    for (const s of sockets) s.destroy()
  }
  t.teardown(cut)
  return { port, cut }
}

t.test('a running app on PostgreSQL with a password in its URL, through two outages', async (t) => {
  const { role, url } = await createRoleSchema(t)
  const through = await relay(t, new URL(TEST_POSTGRES_URL))
  const databaseUrl = withPassword(url.replace(/:5432\//, `:${through.port}/`), LEAK_DATABASE_PASSWORD, role)
  t.ok(databaseUrl.includes(LEAK_DATABASE_PASSWORD), 'the URL holds the password')

  const shown = new Shown()
  const logs = logCapture()
  const out: string[] = []
  const config = loadConfig({
    DEPGATE_DATA_DIR: tempDir(t),
    DEPGATE_DATABASE_URL: databaseUrl,
    DEPGATE_ADMIN_KEY: LEAK_ADMIN_KEY,
    DEPGATE_SECRET_KEY: LEAK_SECRET_KEY,
    DEPGATE_LOG_LEVEL: 'trace',
    DEPGATE_PORT: '0',
    DEPGATE_SIMULATOR_DEVICES: '20',
    // The mirror syncs against the simulator, in pages of 5, and its syncer checks its lease every
    // second: each outage also cuts the syncer's queries and a sync's writes, whenever they run.
    DEPGATE_MIRROR: 'true',
    DEPGATE_SYNC_INTERVAL: '5',
    DEPGATE_SYNC_LEASE: '3',
    DEPGATE_SYNC_PAGE_SIZE: '5',
    DEPGATE_TOKEN_WEBHOOK_URL: 'http://127.0.0.1:1/hook',
    DEPGATE_TOKEN_WEBHOOK_SECRET: LEAK_WEBHOOK_SECRET
  })
  const started = await startDepgate({ config, out: (l) => out.push(l), logStream: logs.stream })
  t.teardown(() => started.close())
  t.equal(started.app.store.dialect, 'postgres')

  const statuses = new Map<string, number>()
  const answers: string[] = []
  async function call (method: string, path: string, body?: unknown): Promise<number> {
    const res = await fetch(`${started.url}${path}`, {
      method,
      headers: { authorization: `Bearer ${LEAK_ADMIN_KEY}`, ...(body === undefined ? {} : { 'content-type': 'application/json' }) },
      ...(body === undefined ? {} : { body: JSON.stringify(body) })
    })
    const where = `${method} ${path} → ${res.status}`
    shown.add(`${where} (headers)`, `${res.status} ${res.statusText} ${JSON.stringify([...res.headers])}`)
    shown.add(`${where} (body)`, await res.text())
    statuses.set(`${method} ${path}`, res.status)
    answers.push(where)
    return res.status
  }
  const everything = async () => {
    for (const path of ['/v1/servers', '/v1/servers/default', '/v1/servers/default/devices', '/v1/servers/default/devices/summary', '/v1/servers/default/devices/changes?since=0', '/v1/servers/default/account', '/v1/keys', '/v1/servers/default/certificate', '/readyz', '/healthz', '/metrics', '/openapi.json', '/docs/json']) {
      await call('GET', path)
    }
    await call('POST', '/v1/servers/default/certificate?replace=true')
    await call('POST', '/v1/servers/default/sync')
    await call('POST', '/v1/keys', { label: 'outage', scope: 'read' })
    // On the simulator: a server the mirror syncs must not send its (wrong) token to Apple.
    await call('PUT', '/v1/servers/other', { token: { consumer_key: 'CK_x', consumer_secret: 'CS_x', access_token: 'AT_x', access_secret: 'AS_x' }, base_url: simulator })
  }
  const simulator = started.simulatorUrl!
  const simCall = async (method: string, path: string, body: unknown) => {
    const res = await fetch(`${simulator}${path}`, { method, headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) })
    t.equal(res.status < 300, true, `simulator ${method} ${path}`)
    await res.text()
  }
  const mirror = () => started.app.mirror.status('default')
  /** A sync running when the outage comes: new devices to write, and Apple slow enough (150 ms a page) that it lasts. */
  const syncing = async () => {
    await simCall('POST', '/_sim/devices', { count: 15 })
    await call('POST', '/v1/servers/default/sync')
    await until('a sync running', async () => (await mirror()).syncing)
  }
  /** The syncer's own warnings since log line `from`: what the outage did to it. */
  const syncerWarnings = (from: number) => logs.lines.slice(from).filter((l) => l.includes('"level":40') && l.includes('inventory: '))

  const unavailable = () => ['GET /v1/servers', 'GET /v1/keys', 'POST /v1/keys', 'POST /v1/servers/default/certificate?replace=true', 'GET /v1/servers/default/devices/changes?since=0', 'GET /readyz'].map((r) => statuses.get(r))
  await until('the mirror\'s first fetch', async () => (await mirror()).ready)
  await simCall('POST', '/_sim/faults', { endpoint: 'sync_devices', kind: 'latency', ms: 150, times: 0 })
  await everything()
  t.same(unavailable(), [200, 200, 201, 201, 200, 200], 'the database answers')

  // Outage 1: the role is refused new connections and its sessions are ended (a restart, a full connection table).
  await syncing()
  const outage1 = logs.lines.length
  await adminQuery(`alter role ${role} connection limit 0`)
  await adminQuery(`select pg_terminate_backend(pid) from pg_stat_activity where usename = '${role}'`)
  await everything()
  t.same(unavailable(), [503, 503, 503, 503, 503, 503], 'the database outage answers 503')
  t.match(shown.items.find((i) => i.text.includes('DATABASE_UNAVAILABLE')), { text: /database is not answering/ }, 'DATABASE_UNAVAILABLE was answered')
  await until('the syncer to meet the outage', async () => syncerWarnings(outage1).length > 0)
  const ended = new Date().toISOString()
  await adminQuery(`alter role ${role} connection limit -1`)
  // The mirror recovers once the database is back (asked to sync now rather than after its back-off).
  await call('POST', '/v1/servers/default/sync')
  await until('a sync after the outage', async () => { const s = await mirror(); return s.last_success_at !== null && s.last_success_at > ended })

  // Outage 2: the database's port refuses connections.
  await syncing()
  const outage2 = logs.lines.length
  through.cut()
  await everything()
  t.same(unavailable(), [503, 503, 503, 503, 503, 503], 'a refused port answers 503 too')
  await until('the syncer to meet the outage', async () => syncerWarnings(outage2).length > 0)
  t.same(answers.filter((a) => /→ 5(?!03)\d\d$/.test(a)), [], 'no 5xx other than 503')

  await started.close()
  shown.add('banner', out.join('\n'))
  for (const [i, line] of logs.lines.entries()) shown.add(`log line ${i}`, line)
  t.ok(logs.lines.some((l) => l.includes('database unavailable')), 'the outages were logged')
  t.ok(logs.lines.length > 50, `${logs.lines.length} log lines`)
  shown.check(t)
})
