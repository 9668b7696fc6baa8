/**
 * The registry of DEP servers (one Apple "MDM server" = one server token = one name). Records
 * live in the store; this keeps them in memory for a synchronous `get` on every DEP request, and
 * creates one DepClient per server lazily (its undici Pool and session are worth reusing), closing
 * it when the token is replaced, the server deleted, or the app closed.
 */
import fp from 'fastify-plugin'
import { secureStore } from '../../src/bootstrap.js'
import { DepClient, DepError, type DepClientOptions } from '../../src/dep/index.js'
import type { ServerToken } from '../../src/dep/token.js'
import type { AuditEntryInput, ServerAudit, ServerRecord } from '../../src/store/index.js'
import type { AccountIdentity } from '../../src/store/servers.js'
import { certificateFingerprint, generateServerKeyPair } from '../../src/tokens/keypair.js'
import { tokenFingerprint } from '../../src/tokens/server-token.js'
import { checkNotExpired, checkSameServer, decryptWithServerKeys, verifyToken } from '../../src/tokens/token-import.js'
import { APPLE_BASE_URL, serverInfo, serverNotFound, type DepServerInfo, type StagedCertificate, type TokenEvent, type TokenEventType } from '../../src/api/server-info.js'
import { trackClient } from './dep-client-tracking.js'
import { createTokenHealthPlugin } from './token-health.js'

export { APPLE_BASE_URL, SERVER_NAME_PATTERN, serverInfo, serverNotFound } from '../../src/api/server-info.js'
export type { DepServerInfo, StagedCertificate, TokenEvent, TokenEventType } from '../../src/api/server-info.js'

export interface ImportTokenOptions {
  force?: boolean
  /** Try the token with /session + /account before storing it (default true). */
  verify?: boolean
  baseUrl?: string
}

export interface DepServer {
  name: string
  baseUrl: string
  info: DepServerInfo
  /** Created on first use, then reused. */
  readonly client: DepClient
}

export interface DepServerRegistry {
  /** The server, or throws a 404 problem `SERVER_NOT_FOUND`. */
  get (name: string): DepServer
  has (name: string): boolean
  list (): DepServerInfo[]
  /** `audit`: the row written in the transaction of the change (see plugins/app/audit.ts). */
  put (name: string, input: { token: ServerToken, baseUrl?: string, audit?: ServerAudit }): Promise<{ server: DepServerInfo, created: boolean }>
  delete (name: string, audit?: AuditEntryInput): Promise<boolean>
  /** Re-reads the store (another replica or the CLI may have changed it). */
  reload (): Promise<void>
  /** Makes and stages a new key pair for the server (which need not exist yet); the current pair keeps working. */
  stageCertificate (name: string, audit?: AuditEntryInput): Promise<StagedCertificate>
  /** The staged certificate, else the current one, else undefined. */
  currentCertificate (name: string): Promise<StagedCertificate | undefined>
  /** Decrypts an uploaded .p7m with the server's keys, checks and stores the token; throws TokenError / TokenImportError. Nothing is stored on failure. */
  importP7m (name: string, p7m: Buffer, opts?: ImportTokenOptions & { audit?: ServerAudit }): Promise<{ server: DepServerInfo, created: boolean, key: 'staged' | 'current' }>
  /** Subscribes to token events; returns the unsubscribe function. */
  onTokenEvent (listener: (e: TokenEvent) => void): () => void
  emitTokenEvent (type: TokenEventType, name: string, extra?: Partial<TokenEvent>): void
}

declare module 'fastify' {
  interface FastifyInstance {
    depServers: DepServerRegistry
  }
}

export interface DepServersPluginOptions {
  /** The `default` server from DEPGATE_TOKEN_FILE (or the embedded simulator); written to the store at start. */
  defaultServer?: { token: ServerToken, baseUrl?: string }
  /** Extra DepClient options (timeouts, retry…); token, baseUrl and onEvent are set here. */
  clientOptions?: Partial<DepClientOptions>
  now?: () => number
  /** Largest .p7m accepted (default the config's tokenMaxBytes). */
  tokenMaxBytes?: number
}

export function createDepServersPlugin (opts: DepServersPluginOptions = {}) {
  const now = opts.now ?? Date.now
  return fp(async function depServers (fastify) {
    const { store, metrics } = fastify
    const records = new Map<string, ServerRecord>()
    const clients = new Map<string, DepClient>()
    const listeners = new Set<(e: TokenEvent) => void>()
    const maxBytes = opts.tokenMaxBytes ?? fastify.config.tokenMaxBytes
    // A store opened by the app itself (no caller installed a box) gets the configured one here.
    await secureStore(store, fastify.config)

    function emitTokenEvent (type: TokenEventType, name: string, extra: Partial<TokenEvent> = {}): void {
      const record = records.get(name)
      /* c8 ignore next - events are only emitted for known servers */
      if (record === undefined) return
      const event: TokenEvent = {
        type,
        server: name,
        at: new Date(now()).toISOString(),
        token_fingerprint: tokenFingerprint(record.token),
        token_expires_at: record.token.access_token_expiry ?? null,
        ...extra
      }
      const level = type === 'token.renewed' || type === 'terms.signed' ? 'info' : 'warn'
      fastify.log[level]({ event: type, server: name, token_expires_at: event.token_expires_at, days_left: event.days_left }, `DEP server "${name}": ${type}`)
      for (const listener of listeners) listener(event)
    }

    /** Persists health changes in the background: a DEP call never waits for the store. */
    function persistHealth (name: string, update: Parameters<typeof store.servers.setHealth>[1]): void {
      store.servers.setHealth(name, update).catch((err: unknown) => {
        /* c8 ignore next - needs a store that fails between two successful calls */
        fastify.log.warn({ err, server: name }, 'could not record the server\'s health in the store')
      })
    }

    const tracking = {
      success (name: string) {
        const record = records.get(name)
        /* c8 ignore next - only when the server is deleted while one of its calls is in flight */
        if (record === undefined) return
        if (record.termsNotSignedAt !== undefined || record.lastError !== undefined) {
          const wasTerms = record.termsNotSignedAt !== undefined
          delete record.termsNotSignedAt
          delete record.lastError
          persistHealth(name, { termsNotSignedAt: null, lastError: null })
          if (wasTerms) emitTokenEvent('terms.signed', name)
        }
      },
      failure (name: string, err: unknown) {
        const record = records.get(name)
        if (record === undefined || !(err instanceof DepError)) return
        const at = new Date(now()).toISOString()
        const termsNow = err.code === 'T_C_NOT_SIGNED' && record.termsNotSignedAt === undefined
        if (record.lastError?.code === err.code && !termsNow) return
        record.lastError = { code: err.code, at }
        if (termsNow) record.termsNotSignedAt = at
        persistHealth(name, termsNow ? { lastError: record.lastError, termsNotSignedAt: at } : { lastError: record.lastError })
        if (termsNow) emitTokenEvent('terms.not_signed', name)
      }
    }

    async function dropClient (name: string): Promise<void> {
      const client = clients.get(name)
      clients.delete(name)
      await client?.close()
    }

    function clientFor (record: ServerRecord): DepClient {
      let client = clients.get(record.name)
      if (client === undefined) {
        client = trackClient(new DepClient({
          connections: fastify.config.depConnections,
          ...opts.clientOptions,
          token: record.token,
          baseUrl: record.baseUrl ?? APPLE_BASE_URL,
          onEvent: (e) => { metrics.onDepEvent(record.name, e) }
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

      get client (): DepClient {
        // The server as it is now, not as it was when the handle was taken: a put, an import or a
        // delete may have come while the request awaited, and a client built from the old record
        // would be cached under the name with the old token.
        const record = records.get(this.name)
        if (record === undefined) throw serverNotFound(this.name)
        return clientFor(record)
      }
    }

    const registry: DepServerRegistry = {
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
          emitTokenEvent('token.renewed', name, { days_left: server.token_days_left, account: server.account })
        }
        return { server, created }
      },
      async delete (name, audit) {
        const deleted = await store.servers.delete(name, audit)
        records.delete(name)
        await dropClient(name)
        return deleted
      },
      async reload () {
        const fresh = await store.servers.list()
        const changed = [...records].filter(([name, old]) => fresh.find((r) => r.name === name)?.updatedAt !== old.updatedAt).map(([name]) => name)
        records.clear()
        for (const r of fresh) records.set(r.name, r)
        for (const name of changed) await dropClient(name)
      },
      async stageCertificate (name, audit) {
        const pair = generateServerKeyPair({ serverName: name })
        await store.servers.stageKey(name, pair, audit)
        const keys = await store.servers.getKeys(name)
        return { server: name, certificate_pem: pair.certificatePem, fingerprint_sha256: certificateFingerprint(pair.certificatePem), staged_at: keys.staged!.stagedAt }
      },
      async currentCertificate (name) {
        const keys = await store.servers.getKeys(name)
        const pair = keys.staged ?? keys.current
        if (pair === undefined) return undefined
        return {
          server: name,
          certificate_pem: pair.certificatePem,
          fingerprint_sha256: certificateFingerprint(pair.certificatePem),
          staged_at: keys.staged?.stagedAt ?? ''
        }
      },
      async importP7m (name, p7m, { force = false, verify = true, baseUrl, audit } = {}) {
        const upload = decryptWithServerKeys(p7m, await store.servers.getKeys(name), maxBytes)
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
          ...(account === undefined ? {} : { account }),
          promoteStagedKey: upload.key === 'staged',
          ...(audit === undefined ? {} : { audit })
        })
        records.set(name, record)
        await dropClient(name)
        const server = serverInfo(record, now())
        emitTokenEvent('token.renewed', name, { days_left: server.token_days_left, account: server.account })
        return { server, created, key: upload.key }
      },
      onTokenEvent (listener) {
        listeners.add(listener)
        return () => { listeners.delete(listener) }
      },
      emitTokenEvent
    }

    if (opts.defaultServer !== undefined) await store.servers.upsert({ name: 'default', ...opts.defaultServer })
    await registry.reload()
    fastify.decorate('depServers', registry)
    // Registered from here because app.ts wires the plugins; fastify-plugin makes its decorators app-wide.
    await fastify.register(createTokenHealthPlugin(fastify.config.tokenWebhook === undefined ? {} : { webhook: fastify.config.tokenWebhook }))
    fastify.addHook('onClose', async () => {
      await Promise.all([...clients.keys()].map(dropClient))
    })
  }, { name: 'depgate-dep-servers', dependencies: ['depgate-config', 'depgate-store', 'depgate-metrics'] })
}
