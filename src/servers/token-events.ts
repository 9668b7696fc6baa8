/**
 * Token events (expiring, expired, renewed, terms signed or not): logged once here, then handed to
 * every listener (the token webhook, tests). An event carries the token's fingerprint and expiry,
 * never a secret.
 */
import type { TokenEvent, TokenEventType } from '../api/server-info.js'
import type { ServerRecord } from '../store/index.js'
import { tokenFingerprint } from '../tokens/server-token.js'
import type { RegistryLog } from './types.js'

export interface TokenEvents {
  emit (type: TokenEventType, name: string, extra?: Partial<TokenEvent>): void
  /** Returns the unsubscribe function. */
  on (listener: (e: TokenEvent) => void): () => void
}

export function createTokenEvents (records: ReadonlyMap<string, ServerRecord>, log: RegistryLog, now: () => number): TokenEvents {
  const listeners = new Set<(e: TokenEvent) => void>()
  return {
    emit (type, name, extra = {}) {
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
      log[level]({ event: type, server: name, token_expires_at: event.token_expires_at, days_left: event.days_left }, `DEP server "${name}": ${type}`)
      for (const listener of listeners) listener(event)
    },
    on (listener) {
      listeners.add(listener)
      return () => { listeners.delete(listener) }
    }
  }
}
