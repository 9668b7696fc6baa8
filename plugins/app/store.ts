import fp from 'fastify-plugin'
import { loadSecretBox, openConfiguredStore, secureStore } from '../../src/bootstrap.js'
import type { Store } from '../../src/store/index.js'

declare module 'fastify' {
  interface FastifyInstance {
    /** Persistence: servers, API keys, audit log. */
    store: Store
  }
}

export interface StorePluginOptions {
  /**
   * An already-open store (the CLI's, a test's), opened with its secret box and checked by its
   * opener; closing it stays the caller's job. Otherwise one is opened from the config.
   */
  store?: Store
}

export function createStorePlugin (opts: StorePluginOptions = {}) {
  return fp(async function storePlugin (fastify) {
    let store = opts.store
    if (store === undefined) {
      const { box, path } = await loadSecretBox(fastify.config)
      const opened = await openConfiguredStore(fastify.config, box)
      fastify.addHook('onClose', async () => { await opened.close() })
      await secureStore(opened, box, path)
      store = opened
    }
    fastify.decorate('store', store)
  }, { name: 'depgate-store', dependencies: ['depgate-config'] })
}
