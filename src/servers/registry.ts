/**
 * The registry of DEP servers (one Apple "MDM server" = one server token = one name). Records
 * live in the store; this keeps them in memory for a synchronous `get` on every DEP request, and
 * creates one DepClient per server lazily (its undici Pool and session are worth reusing), closing
 * it when the token is replaced, the server deleted, or the registry closed.
 */
import { DepClient, type DepClientEvent, type DepClientOptions } from '../dep/index.js'
import type { ServerToken } from '../dep/token.js'
import type { ServerRecord, Store } from '../store/index.js'
import type { AccountIdentity } from '../store/servers.js'
import { certificateFingerprint, generateServerKeyPair } from '../tokens/keypair.js'
import { checkNotExpired, checkSameServer, decryptWithServerKeys, verifyToken } from '../tokens/token-import.js'
import { APPLE_BASE_URL, serverInfo, serverNotFound, tokenUnreadable, type DepServerInfo } from '../api/server-info.js'
import { trackClient } from './client-tracking.js'
import { createHealthTracking } from './health.js'
import { createTokenEvents } from './token-events.js'
import type { DepServer, DepServerRegistry, RegistryLog } from './types.js'

export interface ServerRegistryOptions {
  store: Store
  log: RegistryLog
  /** Largest .p7m accepted. */
  tokenMaxBytes: number
  /** The `default` server from DEPGATE_TOKEN_FILE (or the embedded simulator); written to the store at open. */
  defaultServer?: { token: ServerToken, baseUrl?: string }
  /** Extra DepClient options (connections, timeouts, retry…); token, baseUrl and onEvent are set here. */
  clientOptions?: Partial<DepClientOptions>
  /** Every event of every server's client (metrics). */
  onDepEvent: (server: string, e: DepClientEvent) => void
  /** A server is gone: deleted here, or found deleted by another writer on reload (metrics forget its series). */
  onServerGone: (server: string) => Promise<void>
  /** The clock token expiry is read on (the scheduler's, the same as the daily check that warns about it). */
  now: () => number
}

export interface ServerRegistry extends DepServerRegistry {
  /** Closes every client the registry made. */
  close (): Promise<void>
}

/** Opens the registry: writes the default server (if any), then loads every record from the store. */
export async function openServerRegistry (opts: ServerRegistryOptions): Promise<ServerRegistry> {
  const { store, log } = opts
  const { now } = opts
  const records = new Map<string, ServerRecord>()
  const clients = new Map<string, DepClient>()
  const events = createTokenEvents(records, log, now)
  const tracking = createHealthTracking(records, store, events, log, now)

  async function dropClient (name: string): Promise<void> {
    const client = clients.get(name)
    clients.delete(name)
    await client?.close()
  }

  function clientFor (record: ServerRecord): DepClient {
    if (record.unreadable !== undefined) throw tokenUnreadable(record.name, record.unreadable.keyId)
    let client = clients.get(record.name)
    if (client === undefined) {
      client = trackClient(new DepClient({
        ...opts.clientOptions,
        token: record.token,
        baseUrl: record.baseUrl ?? APPLE_BASE_URL,
        onEvent: (e) => { opts.onDepEvent(record.name, e) }
      }), {
        success: () => { tracking.success(record.name) },
        failure: (err) => { tracking.failure(record.name, err) }
      })
      clients.set(record.name, client)
    }
    return client
  }

  /**
   * What `get` hands out on every request. Lazy: the DEP routes only want the client. A class, not
   * an object literal with getters: V8 defines a literal's accessors one by one each time it is
   * built (1.5 µs a request, measured), while prototype getters cost nothing.
   */
  class ServerHandle implements DepServer {
    readonly name: string
    readonly baseUrl: string
    readonly #record: ServerRecord
    constructor (record: ServerRecord) {
      this.name = record.name
      this.baseUrl = record.baseUrl ?? APPLE_BASE_URL
      this.#record = record
    }

    get info (): DepServerInfo { return serverInfo(this.#record, now()) }

    get orgLink (): DepServer['orgLink'] { return this.#record.orgLink }

    get client (): DepClient {
      // The server as it is now, not as it was when the handle was taken: a put, an import or a
      // delete may have come while the request awaited, and a client built from the old record
      // would be cached under the name with the old token.
      const record = records.get(this.name)
      if (record === undefined) throw serverNotFound(this.name)
      return clientFor(record)
    }
  }

  const registry: ServerRegistry = {
    get (name) {
      const record = records.get(name)
      if (record === undefined) throw serverNotFound(name)
      return new ServerHandle(record)
    },
    has: (name) => records.has(name),
    list: () => [...records.values()].sort((a, b) => a.name.localeCompare(b.name)).map((r) => serverInfo(r, now())),
    async put (name, input) {
      const { record, created } = await store.servers.upsert({ name, ...input })
      // The record first: a request while the old client closes must build its client from the new one.
      records.set(name, record)
      await dropClient(name)
      const server = serverInfo(record, now())
      // As for a .p7m import: whoever heard token.expiring learns the token was replaced. A token
      // already past its expiry renews nothing (the expiry check reports it as token.expired).
      if (server.token_days_left === null || server.token_days_left >= 0) {
        events.emit('token.renewed', name, { days_left: server.token_days_left, account: server.account })
      }
      return { server, created }
    },
    async link (name, write) {
      const record = await store.servers.setOrgLink(name, write)
      if (record === undefined) throw serverNotFound(name)
      // The token is the same: the client and its session stay.
      records.set(name, record)
      return serverInfo(record, now())
    },
    async probeAccount (token, baseUrl) {
      const probe = new DepClient({ ...opts.clientOptions, token, baseUrl, retry: { retries: 0 } })
      try {
        return await probe.getAccount()
      } finally {
        await probe.close()
      }
    },
    async delete (name, audit) {
      const deleted = await store.servers.delete(name, audit)
      records.delete(name)
      await dropClient(name)
      await opts.onServerGone(name)
      return deleted
    },
    async reload () {
      const fresh = await store.servers.list()
      const changed = [...records].filter(([name, old]) => fresh.find((r) => r.name === name)?.updatedAt !== old.updatedAt).map(([name]) => name)
      records.clear()
      for (const r of fresh) records.set(r.name, r)
      for (const name of changed) await dropClient(name)
      // Deleted by another writer (the CLI, another replica): it goes as on a local delete.
      for (const name of changed) if (!records.has(name)) await opts.onServerGone(name)
    },
    async stageCertificate (name, audit) {
      const pair = generateServerKeyPair({ serverName: name })
      await store.servers.stageKey(name, pair, audit)
      const keys = await store.servers.getKeys(name)
      return { server: name, certificate_pem: pair.certificatePem, fingerprint_sha256: certificateFingerprint(pair.certificatePem), staged_at: keys.staged!.stagedAt }
    },
    async stagedCertificate (name) {
      const { staged } = await store.servers.getKeys(name)
      if (staged === undefined) return undefined
      return { server: name, certificate_pem: staged.certificatePem, fingerprint_sha256: certificateFingerprint(staged.certificatePem), staged_at: staged.stagedAt }
    },
    async importP7m (name, p7m, { force = false, verify = true, baseUrl, audit } = {}) {
      const upload = decryptWithServerKeys(p7m, await store.servers.getKeys(name), opts.tokenMaxBytes)
      const existing = records.get(name)
      checkSameServer(existing?.token, upload.token, force)
      checkNotExpired(upload.token, now())
      const target = baseUrl ?? existing?.baseUrl ?? APPLE_BASE_URL
      let account: AccountIdentity | undefined
      if (verify) {
        // A throwaway client: the stored one keeps serving the old token until the new one is committed.
        const probe = new DepClient({ ...opts.clientOptions, token: upload.token, baseUrl: target, retry: { retries: 0 } })
        try {
          account = await verifyToken(() => probe.getAccount(), () => new Date(now()))
        } finally {
          await probe.close()
        }
      }
      const { record, created } = await store.servers.upsert({
        name,
        token: upload.token,
        baseUrl: target,
        account,
        promoteStagedKey: upload.key === 'staged',
        audit
      })
      records.set(name, record)
      await dropClient(name)
      const server = serverInfo(record, now())
      events.emit('token.renewed', name, { days_left: server.token_days_left, account: server.account })
      return { server, created, key: upload.key }
    },
    onTokenEvent: events.on,
    emitTokenEvent: events.emit,
    async close () {
      await Promise.all([...clients.keys()].map(dropClient))
    }
  }

  if (opts.defaultServer !== undefined) await store.servers.upsert({ name: 'default', ...opts.defaultServer })
  await registry.reload()
  return registry
}
