import fp from 'fastify-plugin'
import { secureStore } from '../../src/bootstrap.js'
import { createStore, type Store } from '../../src/store/index.js'

declare module 'fastify' {
  interface FastifyInstance {
    /** Persistence: servers, API keys, audit log. */
    store: Store
  }
}

export interface StorePluginOptions {
  /** An already-open store (the CLI's, a test's); closing it stays the caller's job. Otherwise one is opened from the config. */
  store?: Store
}

export function createStorePlugin (opts: StorePluginOptions = {}) {
  return fp(async function storePlugin (fastify) {
    let store = opts.store
    if (store === undefined) {
      const { dataDir, databaseUrl } = fastify.config
      const opened = await createStore(databaseUrl === undefined ? { dataDir } : { databaseUrl })
      fastify.addHook('onClose', async () => { await opened.close() })
      store = opened
    }
    // A store opened here, or one handed in without a box, gets the configured secret box.
    await secureStore(store, fastify.config)
    fastify.decorate('store', store)
  }, { name: 'depgate-store', dependencies: ['depgate-config'] })
}
