/**
 * The registry of DEP servers (one Apple "MDM server" = one server token = one name). Records
 * live in the store; this keeps them in memory for a synchronous `get` on every DEP request, and
 * creates one DepClient per server lazily (its undici Pool and session are worth reusing), closing
 * it when the token is replaced, the server deleted, or the app closed.
 */
import fp from 'fastify-plugin'
import { DEFAULT_BASE_URL, DepClient, type DepClientOptions } from '../../src/dep/index.js'
import { isTokenExpired, type ServerToken } from '../../src/dep/token.js'
import { httpProblem } from '../../src/problems.js'
import type { ServerRecord } from '../../src/store/index.js'
import { tokenFingerprint } from '../../src/tokens/server-token.js'

export const APPLE_BASE_URL = DEFAULT_BASE_URL
export const SERVER_NAME_PATTERN = /^[a-z0-9][a-z0-9-]{0,62}$/
const DAY_MS = 86_400_000

/** What may be shown about a server: never a secret, the consumer key only as a fingerprint. */
export interface DepServerInfo {
  name: string
  base_url: string
  token_fingerprint: string
  token_expires_at: string | null
  /** Whole days until expiry, negative once expired; null when the token carries no expiry. */
  token_days_left: number | null
  token_expired: boolean
  created_at: string
  updated_at: string
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
  put (name: string, input: { token: ServerToken, baseUrl?: string }): Promise<{ server: DepServerInfo, created: boolean }>
  delete (name: string): Promise<boolean>
  /** Re-reads the store (another replica or the CLI may have changed it). */
  reload (): Promise<void>
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
}

export function serverNotFound (name: string) {
  return httpProblem(404, 'SERVER_NOT_FOUND', `No DEP server named "${name}" is configured. GET /v1/servers lists them; an admin adds one with PUT /v1/servers/{server}.`)
}

export function serverInfo (record: ServerRecord, now: number): DepServerInfo {
  const expiry = record.token.access_token_expiry
  const expiresAt = expiry === undefined ? null : expiry
  return {
    name: record.name,
    base_url: record.baseUrl ?? APPLE_BASE_URL,
    token_fingerprint: tokenFingerprint(record.token),
    token_expires_at: expiresAt,
    token_days_left: expiresAt === null ? null : Math.floor((Date.parse(expiresAt) - now) / DAY_MS),
    token_expired: isTokenExpired(record.token, now),
    created_at: record.createdAt,
    updated_at: record.updatedAt
  }
}

export function createDepServersPlugin (opts: DepServersPluginOptions = {}) {
  const now = opts.now ?? Date.now
  return fp(async function depServers (fastify) {
    const { store, metrics } = fastify
    const records = new Map<string, ServerRecord>()
    const clients = new Map<string, DepClient>()

    async function dropClient (name: string): Promise<void> {
      const client = clients.get(name)
      clients.delete(name)
      await client?.close()
    }

    function clientFor (record: ServerRecord): DepClient {
      let client = clients.get(record.name)
      if (client === undefined) {
        client = new DepClient({
          ...opts.clientOptions,
          token: record.token,
          baseUrl: record.baseUrl ?? APPLE_BASE_URL,
          onEvent: (e) => { metrics.onDepEvent(record.name, e) }
        })
        clients.set(record.name, client)
      }
      return client
    }

    const registry: DepServerRegistry = {
      get (name) {
        const record = records.get(name)
        if (record === undefined) throw serverNotFound(name)
        return {
          name,
          baseUrl: record.baseUrl ?? APPLE_BASE_URL,
          info: serverInfo(record, now()),
          get client () { return clientFor(record) }
        }
      },
      has: (name) => records.has(name),
      list: () => [...records.values()].sort((a, b) => a.name.localeCompare(b.name)).map((r) => serverInfo(r, now())),
      async put (name, input) {
        const { record, created } = await store.servers.upsert({ name, ...input })
        await dropClient(name)
        records.set(name, record)
        return { server: serverInfo(record, now()), created }
      },
      async delete (name) {
        const deleted = await store.servers.delete(name)
        await dropClient(name)
        records.delete(name)
        return deleted
      },
      async reload () {
        const fresh = await store.servers.list()
        for (const [name, old] of records) {
          const next = fresh.find((r) => r.name === name)
          if (next?.updatedAt !== old.updatedAt) await dropClient(name)
        }
        records.clear()
        for (const r of fresh) records.set(r.name, r)
      }
    }

    if (opts.defaultServer !== undefined) await store.servers.upsert({ name: 'default', ...opts.defaultServer })
    await registry.reload()
    fastify.decorate('depServers', registry)
    fastify.addHook('onClose', async () => {
      await Promise.all([...clients.keys()].map(dropClient))
    })
  }, { name: 'depgate-dep-servers', dependencies: ['depgate-store', 'depgate-metrics'] })
}
