/**
 * Per-server state only Apple's answers reveal: terms not signed, the last error. Kept on the
 * in-memory record for GET /v1/servers and persisted in the background: a DEP call never waits
 * for the store.
 */
import { DepError } from '../dep/index.js'
import type { Store, ServerRecord } from '../store/index.js'
import type { TokenEvents } from './token-events.js'
import type { RegistryLog } from './types.js'

export interface HealthTracking {
  success (name: string): void
  failure (name: string, err: unknown): void
}

export function createHealthTracking (records: ReadonlyMap<string, ServerRecord>, store: Store, events: TokenEvents, log: RegistryLog, now: () => number): HealthTracking {
  function persistHealth (name: string, update: Parameters<Store['servers']['setHealth']>[1]): void {
    store.servers.setHealth(name, update).catch((err: unknown) => {
      /* c8 ignore next - needs a store that fails between two successful calls */
      log.warn({ err, server: name }, 'could not record the server\'s health in the store')
    })
  }

  return {
    success (name) {
      const record = records.get(name)
      /* c8 ignore next - only when the server is deleted while one of its calls is in flight */
      if (record === undefined) return
      if (record.termsNotSignedAt !== undefined || record.lastError !== undefined) {
        const wasTerms = record.termsNotSignedAt !== undefined
        delete record.termsNotSignedAt
        delete record.lastError
        persistHealth(name, { termsNotSignedAt: null, lastError: null })
        if (wasTerms) events.emit('terms.signed', name)
      }
    },
    failure (name, err) {
      const record = records.get(name)
      if (record === undefined || !(err instanceof DepError)) return
      const at = new Date(now()).toISOString()
      const termsNow = err.code === 'T_C_NOT_SIGNED' && record.termsNotSignedAt === undefined
      if (record.lastError?.code === err.code && !termsNow) return
      record.lastError = { code: err.code, at }
      if (termsNow) record.termsNotSignedAt = at
      persistHealth(name, termsNow ? { lastError: record.lastError, termsNotSignedAt: at } : { lastError: record.lastError })
      if (termsNow) events.emit('terms.not_signed', name)
    }
  }
}
