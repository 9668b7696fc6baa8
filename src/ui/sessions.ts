/**
 * Sign-in and session checks of the dashboard. A session is opened with an API key (or
 * DEPGATE_ADMIN_KEY) and carries that key's scope; every request checks the key again (from the
 * key store's short cache), so a revoked key's sessions stop at once in this process and within
 * the cache's few seconds elsewhere. The bootstrap key's sessions last while it is configured.
 */
import { hashSecret, parseApiKey, verifySecret } from '../api-key-secrets.js'
import type { Store } from '../store/index.js'
import type { Viewer } from './layout.js'

export const BOOTSTRAP_KEY_ID = 'bootstrap'

export interface UiSessionsOptions {
  store: Store
  adminKey?: string
  sessionMs: number
  now: () => number
}

export type SessionKey = Omit<Viewer, 'expiresAt'>

export interface UiSessions {
  /** The key when `presented` is a valid, unrevoked key; `claimed` is the key id it names (failures are counted per id too). */
  check (presented: string): Promise<{ key?: SessionKey, claimed?: string }>
  /** Opens a session for a checked key: the cookie value and who it is. */
  open (key: SessionKey): Promise<{ cookie: string, viewer: Viewer }>
  /** Who a cookie signs in, or undefined (unknown, ended, or its key revoked). */
  viewer (cookie: string): Promise<Viewer | undefined>
  close (cookie: string): Promise<void>
}

export function createUiSessions (opts: UiSessionsOptions): UiSessions {
  const { store, sessionMs, now } = opts
  const bootstrapHash = opts.adminKey === undefined ? undefined : hashSecret(opts.adminKey)

  const BOOTSTRAP: SessionKey = { keyId: BOOTSTRAP_KEY_ID, label: 'DEPGATE_ADMIN_KEY', scope: 'admin' }

  async function keyOf (keyId: string): Promise<SessionKey | undefined> {
    if (keyId === BOOTSTRAP_KEY_ID) return bootstrapHash === undefined ? undefined : BOOTSTRAP
    const record = await store.keys.getForAuth(keyId)
    if (record === undefined || record.revokedAt !== undefined) return undefined
    return { keyId, label: record.label, scope: record.scope }
  }

  return {
    async check (presented) {
      const parsed = parseApiKey(presented)
      // Not depgate's key format: only the bootstrap key can match. Same hash-and-compare either way.
      if (parsed === undefined) return verifySecret(presented, bootstrapHash) ? { key: BOOTSTRAP } : {}
      const record = await store.keys.getForAuth(parsed.id)
      const ok = verifySecret(parsed.secret, record?.hash)
      if (!ok || record === undefined || record.revokedAt !== undefined) return { claimed: parsed.id }
      return { key: { keyId: record.id, label: record.label, scope: record.scope }, claimed: parsed.id }
    },
    async open (key) {
      await store.uiSessions.deleteEnded()
      const { cookie, record } = await store.uiSessions.create(key.keyId, new Date(now() + sessionMs))
      return { cookie, viewer: { ...key, expiresAt: record.expiresAt } }
    },
    async viewer (cookie) {
      const session = await store.uiSessions.get(cookie)
      if (session === undefined) return undefined
      const key = await keyOf(session.keyId)
      return key === undefined ? undefined : { ...key, expiresAt: session.expiresAt }
    },
    async close (cookie) {
      await store.uiSessions.delete(cookie)
    }
  }
}
