/**
 * Builds the real depgate for tests: SQLite in a temp dir (or, with DEPGATE_TEST_DATABASE=postgres, a
 * fresh PostgreSQL schema: see databases.ts), the DEP simulator on 127.0.0.1 port 0
 * as the `default` server, a bootstrap admin key, optional log capture. Everything is closed in
 * t.teardown.
 */
import { randomBytes } from 'node:crypto'
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { Writable } from 'node:stream'
import type { FastifyInstance, RouteOptions } from 'fastify'
import { generateApiKey } from '../src/api-key-secrets.js'
import { loadSecretBox } from '../src/bootstrap.js'
import type { Scope } from '../src/scopes.js'
import type { CliIo } from '../src/cli.js'
import { type Config, loadConfig } from '../src/config.js'
import type { DepClientOptions } from '../src/dep/index.js'
import { buildServer } from '../src/server.js'
import { DEPSIM_CREDENTIALS, startSimulator, type SimulatorOptions, type StartedSimulator } from '../src/simulator/index.js'
import type { AppOptions } from '../src/app.js'
import type { Scheduler } from '../src/scheduler.js'
import type { Store } from '../src/store/index.js'
import type { StreamLimitsOptions } from '../plugins/app/stream-limits.js'
import { parseSecretKey, SECRET_KEY_FILE } from '../src/tokens/secret-key-file.js'
import { openTestStore, type TestDatabase, type TestDialect, testDialectFromEnv } from './databases.js'
import { secretWatch } from './security/suite-scan.js'

interface Teardown { teardown (fn: () => unknown): void, fail?: (message: string) => unknown }

/** Polls `fn` until it returns a value (not undefined or false); throws naming `what` after `timeoutMs`. */
export async function until<T> (what: string, fn: () => Promise<T | undefined | false>, timeoutMs = 20_000): Promise<T> {
  const deadline = Date.now() + timeoutMs
  for (;;) {
    const value = await fn()
    if (value !== undefined && value !== false) return value
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`)
    await new Promise((resolve) => setTimeout(resolve, 50))
  }
}

/**
 * Until the app's mirror of `server` has completed a fetch and has no sync running or pending;
 * after `timeoutMs` it fails, naming the server and the last status seen (a stuck sync says why).
 */
export async function untilReady (app: FastifyInstance, server = 'default', timeoutMs = 20_000): Promise<void> {
  let last: unknown
  try {
    await until(`the mirror of "${server}" to be ready and idle`, async () => {
      const status = await app.mirror.status(server)
      last = status
      return status.ready && !status.syncing && status.sync_requested_at === null
    }, timeoutMs)
  } catch (err) {
    throw new Error(`${(err as Error).message}; last status: ${JSON.stringify(last)}`)
  }
}

export function tempDir (t: Teardown, prefix = 'depgate-test-'): string {
  const dir = mkdtempSync(join(tmpdir(), prefix))
  t.teardown(() => { rmSync(dir, { recursive: true, force: true }) })
  return dir
}

/** A strong random admin key, as DEPGATE_ADMIN_KEY would hold. */
export function randomAdminKey (): string {
  return randomBytes(32).toString('base64url')
}

/** A log destination that keeps each line; `lines` is what was written. */
export function logCapture (): { stream: Writable, lines: string[] } {
  const lines: string[] = []
  const stream = new Writable({
    write (chunk: Buffer, _enc, cb) {
      lines.push(...chunk.toString('utf8').split('\n').filter((l) => l !== ''))
      cb()
    }
  })
  return { stream, lines }
}

export interface TestAppOptions {
  /** Extra DEPGATE_* variables. */
  env?: Record<string, string>
  /** Start the simulator as `default` (default true). */
  simulator?: boolean | SimulatorOptions
  /** Logs are always recorded (at DEPGATE_LOG_LEVEL, default info) for the secret scan; kept for older callers. */
  captureLogs?: boolean
  /** Replace parts of the store (e.g. a failing ping). */
  wrapStore?: (store: Store) => Store
  depClientOptions?: Partial<DepClientOptions>
  onRoute?: (route: RouteOptions) => void
  /** The app's background clock (default the real one): a ManualScheduler lets the test move time. */
  scheduler?: Scheduler
  /** The database to run on; default DEPGATE_TEST_DATABASE's (test/security/ runs its battery on each). */
  dialect?: TestDialect
  /** The whole-list idle timers, to drive by hand. */
  streamTimers?: StreamLimitsOptions['timers']
  /** Pages a reader of a shared live drain may have waiting (see plugins/app/stream-limits.ts). */
  drainBufferPages?: number
  /** Organisations: the client factory (a test's org), the refresher on or off. */
  orgs?: AppOptions['orgs']
}

export interface TestApp {
  app: FastifyInstance
  config: Config
  store: Store
  /** Where the store lives: open it again (another store, another key) with openTestStore. */
  database: TestDatabase
  adminKey: string
  sim?: StartedSimulator
  logs: string[]
  /** Creates a stored key with this scope and returns it whole. */
  createKey (scope: Scope, label?: string): Promise<string>
  /** `{ authorization: 'Bearer …' }` for a key (the admin key by default). */
  auth (key?: string): { authorization: string }
}

export async function buildTestApp (t: Teardown, opts: TestAppOptions = {}): Promise<TestApp> {
  const dataDir = tempDir(t)
  const adminKey = randomAdminKey()
  const config = loadConfig({
    DEPGATE_DATA_DIR: dataDir,
    DEPGATE_ADMIN_KEY: adminKey,
    // Always written, so the secret scan at teardown reads every test app's log.
    DEPGATE_LOG_LEVEL: 'info',
    // The mirror changes where device reads come from: tests of it turn it on (DEPGATE_MIRROR: 'true').
    DEPGATE_MIRROR: 'false',
    ...opts.env
  })
  const dialect = opts.dialect ?? testDialectFromEnv()
  // A manual clock is the store's too: leases, timestamps and the syncers' decisions share one time.
  const scheduler = opts.scheduler
  // Opened with the app's secret box, as `depgate serve` opens its store: DEPGATE_SECRET_KEY, else the key file (created now).
  const { box: secretBox } = await loadSecretBox(config)
  const real = await openTestStore(t, dialect, {
    secretBox,
    ...(dialect === 'sqlite' ? { database: { dataDir } } : {}),
    ...(scheduler === undefined ? {} : { now: () => new Date(scheduler.now()) })
  })
  // Every key pair the app generates is staged here first: the secret scan watches its private part.
  const privateKeys: Array<[string, string]> = []
  const stageKey = real.servers.stageKey.bind(real.servers)
  real.servers.stageKey = async (name, pair, audit) => {
    privateKeys.push([`private key #${privateKeys.length} (server ${name})`, pair.privateKeyPem])
    await stageKey(name, pair, audit)
  }
  const store = opts.wrapStore?.(real) ?? real
  let sim: StartedSimulator | undefined
  if (opts.simulator !== false) {
    const simOpts = typeof opts.simulator === 'object' ? opts.simulator : {}
    sim = await startSimulator({ devices: 20, ...simOpts })
    t.teardown(() => sim?.close())
  }
  const logs = logCapture()
  const watch = secretWatch({
    adminKey,
    token: DEPSIM_CREDENTIALS,
    sim,
    privateKeys,
    // What the app sealed its secrets with: DEPGATE_SECRET_KEY, else the key file it created at start.
    secretBoxKey: () => {
      if (config.secretKey !== undefined) return parseSecretKey(config.secretKey)
      const file = join(dataDir, SECRET_KEY_FILE)
      return existsSync(file) ? parseSecretKey(readFileSync(file, 'utf8')) : undefined
    }
  })
  const app = await buildServer(config, {
    store,
    logStream: logs.stream,
    depClientOptions: { retry: { retries: 0 }, ...opts.depClientOptions },
    // Quick retries and long-poll re-reads keep mirror tests short.
    mirror: { retryBaseMs: 100, pollMs: 100 },
    scheduler,
    ...(opts.orgs === undefined ? {} : { orgs: opts.orgs }),
    streamLimits: {
      ...(opts.streamTimers === undefined ? {} : { timers: opts.streamTimers }),
      ...(opts.drainBufferPages === undefined ? {} : { drainBufferPages: opts.drainBufferPages })
    },
    ...(sim === undefined ? {} : { defaultServer: { token: DEPSIM_CREDENTIALS, baseUrl: sim.url } }),
    onRoute: (route) => {
      opts.onRoute?.(route)
      watch.onRoute(route)
    }
  })
  // tap runs teardowns last-registered first: the scan goes in the same one, once the app has
  // closed and written its last log lines. A finding fails the test (tap shows only a generic line
  // for an assertion in a teardown, hence the message on stderr too); throwing instead would skip
  // the teardowns still to run.
  t.teardown(async () => {
    await app.close()
    try {
      watch.check(logs.lines)
    } catch (err) {
      console.error((err as Error).message)
      if (t.fail === undefined) throw err
      t.fail((err as Error).message)
    }
  })
  const result: TestApp = {
    app,
    config,
    store,
    database: real.database,
    adminKey,
    logs: logs.lines,
    async createKey (scope, label = `test ${scope}`) {
      const k = generateApiKey()
      watch.secret(`API key ${label}`, k.key.slice(`dgk_${k.id}_`.length))
      await real.keys.create({ id: k.id, label, scope, hash: k.hash })
      return k.key
    },
    auth: (key = adminKey) => ({ authorization: `Bearer ${key}` })
  }
  if (sim !== undefined) result.sim = sim
  return result
}

/** The CLI's I/O for `main()`, with what it printed kept in `out` and `err`. */
export function cliIo (env: Record<string, string>): CliIo & { out: string[], err: string[] } {
  const out: string[] = []
  const err: string[] = []
  return { out, err, env, stdout: (s) => { out.push(s) }, stderr: (s) => { err.push(s) } }
}
