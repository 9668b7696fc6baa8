/** `depgate serve`: open the store, settle the default server and admin key, build, listen, print how to start. */
import { existsSync } from 'node:fs'
import { join } from 'node:path'
import closeWithGrace from 'close-with-grace'
import type { FastifyInstance } from 'fastify'
import type { DestinationStream } from 'pino'
import type { Store } from './store/index.js'
import { ADMIN_KEY_FILE, confirmRotation, ensureAdminKey, openSecureStore, planDefaultServer } from './bootstrap.js'
import type { Config } from './config.js'
import { explainDataDirError, prepareDataDir, StartRefusal } from './data-dir.js'
import { acquireDataDirLock, type DataDirLock } from './data-dir-lock.js'
import { buildServer } from './server.js'
import { type DemoOrg, linkDemoServer, setUpDemoOrg } from './demo-org.js'

export interface StartOptions {
  config: Config
  /** Where the start banner goes. Never the logger: the banner may hold the new admin key. */
  out: (line: string) => void
  logStream?: DestinationStream
}

export interface StartedDepgate {
  app: FastifyInstance
  url: string
  simulatorUrl?: string
  /** The admin key created on this start, if one was. */
  adminKey?: string
  close (): Promise<void>
}

export function banner (url: string, info: { adminKey?: string, keyFile: string, keyFileExists: boolean, simulatorUrl?: string, simulatorServer?: string, devices: number, org?: string }): string[] {
  const lines = [`depgate is listening on ${url}  (API docs: ${url}/docs)`]
  if (info.simulatorUrl !== undefined) {
    lines.push(`DEP server "${String(info.simulatorServer)}" is the embedded simulator at ${info.simulatorUrl} (${info.devices} devices).`,
      'To serve Apple instead, set DEPGATE_TOKEN_FILE to your decrypted server token (or PUT it to /v1/servers/default).')
  }
  if (info.org !== undefined) {
    lines.push(`Org "${info.org}" is the simulator's organisation (Apple Business Manager API), linked to DEP server "${String(info.simulatorServer)}": ${url}/v1/orgs/${info.org}/devices, and device reads of the server show the org's view.`)
  }
  if (info.adminKey !== undefined) {
    lines.push('', 'Admin API key (shown once; saved to ' + info.keyFile + ', mode 0600):', `  ${info.adminKey}`)
  }
  const auth = info.keyFileExists ? `"Authorization: Bearer $(cat ${info.keyFile})"` : '"Authorization: Bearer $DEPGATE_ADMIN_KEY"'
  lines.push('', 'Try:',
    `  curl -H ${auth} ${url}/v1/servers`,
    `  curl -H ${auth} ${url}/v1/servers/default/devices`,
    `  curl -H ${auth} -H 'Content-Type: application/json' -d '{"label":"munki","scope":"read"}' ${url}/v1/keys`)
  return lines
}

/** The host to put in ready-to-paste URLs: a wildcard bind is reached on loopback; IPv6 needs brackets. */
export function displayHost (host: string): string {
  if (host === '0.0.0.0' || host === '::') return '127.0.0.1'
  return host.includes(':') ? `[${host}]` : host
}

/** Says which variables to change when the address cannot be listened on; other errors go up as they are. */
export function explainListenError (err: unknown, config: Pick<Config, 'host' | 'port'>): unknown {
  const code = (err as { code?: unknown }).code
  const where = `DEPGATE_HOST=${config.host} DEPGATE_PORT=${config.port}`
  if (code === 'EADDRINUSE') return new StartRefusal(`${where}: the address is already in use (another program, or another depgate, listens there); stop it, or set DEPGATE_PORT to a free port`)
  if (code === 'EADDRNOTAVAIL') return new StartRefusal(`${where}: the host is not an address of this machine; set DEPGATE_HOST to one of its addresses (127.0.0.1 for this machine only, 0.0.0.0 for all)`)
  if (code === 'EACCES') return new StartRefusal(`${where}: this user may not listen on port ${config.port} (ports below 1024 need privileges); set DEPGATE_PORT to 1024 or above`)
  return err
}

/**
 * Before the store opens: a private data directory, and, for SQLite, the lock that makes this the
 * directory's only server. Files are created for the owner only (umask 077), which also covers
 * SQLite's -wal and -shm and every file written later.
 */
async function claimDataDir (config: Config): Promise<DataDirLock | undefined> {
  process.umask(0o077)
  prepareDataDir(config.dataDir)
  return config.databaseUrl === undefined ? await acquireDataDirLock(config.dataDir) : undefined
}

async function openStore (config: Config): Promise<Store> {
  try {
    return await openSecureStore(config)
  } catch (err) {
    throw (config.databaseUrl === undefined ? explainDataDirError(err, config.dataDir) : undefined) ?? err
  }
}

export async function startDepgate (opts: StartOptions): Promise<StartedDepgate> {
  const { config, out } = opts
  const lock = await claimDataDir(config)
  let store: Store
  let plan: Awaited<ReturnType<typeof planDefaultServer>>
  let created: Awaited<ReturnType<typeof ensureAdminKey>>
  let demo: DemoOrg | undefined
  try {
    store = await openStore(config)
    try {
      const removed = await confirmRotation(config.dataDir, store)
      if (removed !== undefined) out(`Every stored secret opens with the current secret key: the rotation is complete, and ${removed} (the previous key) was removed.`)
      plan = await planDefaultServer(config, store)
      created = await ensureAdminKey(config, store)
      if (plan.simulator !== undefined) demo = await setUpDemoOrg(store, plan.simulator.url)
    } catch (err) {
      await store.close()
      throw err
    }
  } catch (err) {
    await lock?.release()
    throw err
  }
  const app = await buildServer(config, {
    store,
    defaultServer: plan.defaultServer,
    logStream: opts.logStream
  })
  const close = async (): Promise<void> => {
    await app.close()
    await plan.simulator?.close()
    await store.close()
    await lock?.release()
  }
  try {
    if (demo !== undefined) await linkDemoServer(app.depServers, plan.simulatorServer as string, demo)
    await app.listen({ host: config.host, port: config.port })
  } catch (err) {
    await close()
    throw explainListenError(err, config)
  }
  const address = app.server.address()
  /* c8 ignore next - listening on TCP always yields an AddressInfo */
  const port = typeof address === 'object' && address !== null ? address.port : config.port
  const url = `http://${displayHost(config.host)}:${port}`
  const keyFile = join(config.dataDir, ADMIN_KEY_FILE)
  for (const line of banner(url, {
    keyFile,
    keyFileExists: existsSync(keyFile),
    devices: config.simulatorDevices,
    adminKey: created?.key,
    simulatorUrl: plan.simulator?.url,
    simulatorServer: plan.simulatorServer,
    ...(demo === undefined ? {} : { org: demo.org })
  })) out(line)
  const started: StartedDepgate = { app, url, close }
  if (plan.simulator !== undefined) started.simulatorUrl = plan.simulator.url
  if (created !== undefined) started.adminKey = created.key
  return started
}

/* c8 ignore start - process wiring (signals, exit) exercised by running the service, not by tests */
export async function serve (config: Config): Promise<void> {
  const started = await startDepgate({ config, out: (line) => { process.stdout.write(`${line}\n`) } })
  closeWithGrace({ delay: 10_000 }, async ({ err, signal }) => {
    if (err !== undefined) started.app.log.error({ err }, 'closing after an error')
    else started.app.log.info({ signal }, 'closing')
    await started.close()
  })
}
/* c8 ignore stop */
