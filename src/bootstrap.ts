/**
 * What `depgate serve` settles before the app starts: which token backs the `default` server
 * (DEPGATE_TOKEN_FILE, or the embedded simulator in the demo default), and the first admin key.
 */
import { chmodSync, existsSync, readFileSync, writeFileSync } from 'node:fs'
import { readFile, unlink } from 'node:fs/promises'
import { join } from 'node:path'
import { generateApiKey } from './api-key-secrets.js'
import type { Config } from './config.js'
import { ConfigError } from './config.js'
import type { ServerToken } from './dep/token.js'
import { DEPSIM_CREDENTIALS, startSimulator, type StartedSimulator } from './simulator/index.js'
import { createStore, type Store } from './store/index.js'
import type { SecretKeyCheck } from './store/servers.js'
import { createSecretBox, type SecretBox } from './tokens/secret-box.js'
import { isTokenError } from './tokens/errors.js'
import { OLD_KEY_FILE } from './tokens/rotate-command.js'
import { loadOrCreateKeyFile, parseSecretKey, type LoadedKey } from './tokens/secret-key-file.js'
import { parseServerToken, ServerTokenError } from './tokens/server-token.js'

export const ADMIN_KEY_FILE = 'admin-key'

export function readTokenFile (path: string): ServerToken {
  let text: string
  try {
    text = readFileSync(path, 'utf8')
  } catch (err) {
    throw new ConfigError('DEPGATE_TOKEN_FILE', `cannot be read: ${(err as Error).message}`)
  }
  try {
    return parseServerToken(text)
  } catch (err) {
    /* c8 ignore next - parseServerToken throws nothing else */
    if (!(err instanceof ServerTokenError)) throw err
    throw new ConfigError('DEPGATE_TOKEN_FILE', `is not a usable decrypted server token: ${err.message}`)
  }
}

/** The secret box from DEPGATE_SECRET_KEY, or the 0600 key file in the data dir (created at first start). */
export async function loadSecretBox (config: Pick<Config, 'dataDir' | 'secretKey'>): Promise<{ box: SecretBox, source: LoadedKey['source'], path?: string }> {
  const loaded = await loadOrCreateKeyFile(config.dataDir, { secretKey: config.secretKey })
  const box = createSecretBox(loaded.key)
  loaded.key.fill(0) // the box keeps its own copy
  return { box, source: loaded.source, path: loaded.path }
}

/**
 * The refusal when the key is not the one the database's secrets are sealed with: a replica, a
 * restart or a CLI command with another key would otherwise start, fail on every sealed value,
 * and seal new ones (a token file's `default`, an upload) that the other replicas cannot open.
 * Names the variable, never the key: only its short id, which the other replicas can be compared by.
 */
export function secretKeyMismatch (box: SecretBox, path?: string, pendingMatches = false): ConfigError & { code: 'SECRET_BOX_WRONG_KEY' } {
  const from = path === undefined ? 'DEPGATE_SECRET_KEY' : `${path} (DEPGATE_SECRET_KEY is not set)`
  // The fix for the case at hand: a rotation that committed but did not move its key file into place is finished by the move, not by rotating again.
  const fix = pendingMatches
    ? `depgate secrets rotate re-sealed the secrets under ${String(path)}.new and stopped before moving it into place: run mv ${String(path)}.new ${String(path)}, then start every replica with that key.`
    : 'If the secrets were rotated (depgate secrets rotate), restart every replica and the CLI with the new key.'
  // The secret box's own code for a value sealed with another key, which is what this is, caught early.
  const code = 'SECRET_BOX_WRONG_KEY' as const
  return Object.assign(new ConfigError('DEPGATE_SECRET_KEY', `does not match the key that sealed the secrets in this database. The key must be the same on every replica and for the depgate CLI: give them all the same DEPGATE_SECRET_KEY (or the same secret.key file). This depgate's key (id ${box.keyId}) came from ${from}; it refuses to start rather than seal tokens the other replicas cannot open. ${fix}`), { code })
}

/**
 * Checks the key of the box `store` was opened with against the database's, refusing another key
 * (ConfigError naming DEPGATE_SECRET_KEY; `path` is where the key came from, for the message), and
 * seals any server token a version before 0002 stored in clear. Returns how many tokens were sealed now.
 */
export async function secureStore (store: Store, box: SecretBox, path?: string): Promise<number> {
  if (await store.servers.checkSecretKey() === 'mismatched') throw secretKeyMismatch(box, path)
  return await store.servers.sealLegacyTokens()
}

/** Opens the configured store with this secret box. */
export async function openConfiguredStore (config: Pick<Config, 'dataDir' | 'databaseUrl'>, secretBox: SecretBox): Promise<Store> {
  return await createStore(config.databaseUrl === undefined ? { dataDir: config.dataDir, secretBox } : { databaseUrl: config.databaseUrl, secretBox })
}

/**
 * Opens the configured store with its secret box, checked (legacy tokens sealed when the key
 * matches); says which box, where it came from and what the check found. A key that does not
 * match is not refused here: `depgate secrets rotate` must open a store whose rotation was
 * interrupted (rotateSecrets decides). Everything else uses openSecureStore.
 */
export async function openStoreWithBox (config: Config): Promise<{ store: Store, box: SecretBox, source: LoadedKey['source'], path?: string, keyCheck: SecretKeyCheck }> {
  const { box, source, path } = await loadSecretBox(config)
  const store = await openConfiguredStore(config, box)
  try {
    const keyCheck = await store.servers.checkSecretKey()
    // Legacy tokens are sealed only under the database's own key.
    if (keyCheck !== 'mismatched') await store.servers.sealLegacyTokens()
    return { store, box, source, path, keyCheck }
  } catch (err) {
    await store.close()
    throw err
  }
}

/** True when the pending key of a rotation (secret.key.new) is the one the database's secrets are sealed with. */
async function pendingKeyMatches (store: Store, pending: string): Promise<boolean> {
  let key: Buffer
  try {
    key = parseSecretKey(await readFile(pending, 'utf8'), pending)
  } catch {
    return false // missing or incomplete: not what sealed anything
  }
  return await store.servers.checkSecretKey(createSecretBox(key)) === 'matched'
}

/** The store for `depgate serve` and the CLI: refuses (ConfigError) a secret key that is not the database's. */
export async function openSecureStore (config: Config): Promise<Store> {
  const { store, box, path, keyCheck } = await openStoreWithBox(config)
  if (keyCheck === 'mismatched') {
    const pendingMatches = path !== undefined && await pendingKeyMatches(store, `${path}.new`)
    await store.close()
    throw secretKeyMismatch(box, path, pendingMatches)
  }
  return store
}

export interface DefaultServerPlan {
  defaultServer?: { token: ServerToken, baseUrl?: string }
  simulator?: StartedSimulator
  /** Which server name the simulator was registered under, when it runs. */
  simulatorServer?: string
}

/**
 * `auto` starts the simulator only when nothing real is configured: no token file, and no
 * `default` server stored with a token other than the simulator's (a PUT by an admin wins).
 * `on` always starts it, as `default`, or as `simulator` beside a real token.
 */
export async function planDefaultServer (config: Config, store: Store): Promise<DefaultServerPlan> {
  const plan: DefaultServerPlan = {}
  if (config.tokenFile !== undefined) {
    const token = readTokenFile(config.tokenFile)
    plan.defaultServer = config.depUrl === undefined ? { token } : { token, baseUrl: config.depUrl }
  }
  if (config.simulator === 'off') return plan
  if (config.simulator === 'auto') {
    if (plan.defaultServer !== undefined) return plan
    const stored = await store.servers.get('default')
    if (stored !== undefined && stored.token.consumer_key !== DEPSIM_CREDENTIALS.consumer_key) return plan
  }
  // The server the simulator would take, synced now by another depgate (its live lease): that
  // one's own simulator serves it, and replacing its address would cut the other replica off.
  const target = plan.defaultServer === undefined ? 'default' : 'simulator'
  if ((await store.servers.liveSyncLeases()).some((lease) => lease.server === target)) return plan
  const simulator = await startSimulator({ host: '127.0.0.1', port: 0, devices: config.simulatorDevices })
  plan.simulator = simulator
  if (plan.defaultServer === undefined) {
    plan.defaultServer = { token: DEPSIM_CREDENTIALS, baseUrl: simulator.url }
    plan.simulatorServer = 'default'
  } else {
    await store.servers.upsert({ name: 'simulator', token: DEPSIM_CREDENTIALS, baseUrl: simulator.url })
    plan.simulatorServer = 'simulator'
  }
  return plan
}

/**
 * First start without DEPGATE_ADMIN_KEY and without any active admin key: creates one (stored
 * hashed), writes it to <data dir>/admin-key with mode 0600 and returns it so it can be shown once.
 */
export async function ensureAdminKey (config: Config, store: Store): Promise<{ key: string, file: string } | undefined> {
  if (config.adminKey !== undefined) return undefined
  if (await store.keys.countActive('admin') > 0) return undefined
  const generated = generateApiKey()
  await store.keys.create({ id: generated.id, label: 'first-start admin', scope: 'admin', hash: generated.hash },
    { keyId: null, action: 'key.create', target: `/v1/keys/${generated.id}`, result: 'ok', detail: 'first-start admin key' })
  const file = join(config.dataDir, ADMIN_KEY_FILE)
  writeFileSync(file, `${generated.key}\n`, { mode: 0o600 })
  chmodSync(file, 0o600) // an existing file keeps its old mode through writeFileSync
  return { key: generated.key, file }
}

/**
 * `depgate secrets rotate` keeps the previous key as secret.key.old until the rotation is known to
 * be complete: every stored secret opens with the current key. A start is where that is checked
 * (a replica that ran through the rotation has stopped by then); the file goes once it is true.
 * Returns the removed file, if one was.
 */
export async function confirmRotation (dataDir: string, store: Store): Promise<string | undefined> {
  const old = join(dataDir, OLD_KEY_FILE)
  if (!existsSync(old)) return undefined
  for (const server of await store.servers.list()) {
    if (server.unreadable !== undefined) return undefined
    try {
      await store.servers.getKeys(server.name)
    } catch (err) {
      if (isTokenError(err, 'SECRET_BOX_WRONG_KEY')) return undefined
      /* c8 ignore next 2 - a tampered value, not a question of which key: it goes up as it is */
      throw err
    }
  }
  await unlink(old)
  return old
}
