/**
 * Decorates the app with the DEP server registry (src/servers) and closes its clients with the
 * app. The store plugin has installed the store's secret box by now.
 */
import fp from 'fastify-plugin'
import type { DepClientOptions } from '../../src/dep/index.js'
import type { ServerToken } from '../../src/dep/token.js'
import { openServerRegistry } from '../../src/servers/registry.js'
import type { DepServerRegistry } from '../../src/servers/types.js'

declare module 'fastify' {
  interface FastifyInstance {
    depServers: DepServerRegistry
  }
}

export interface DepServersPluginOptions {
  /** The `default` server from DEPGATE_TOKEN_FILE (or the embedded simulator); written to the store at start. */
  defaultServer?: { token: ServerToken, baseUrl?: string }
  /** Extra DepClient options (timeouts, retry…); token, baseUrl and onEvent are set by the registry. */
  clientOptions?: Partial<DepClientOptions>
  now?: () => number
  /** Largest .p7m accepted (default the config's tokenMaxBytes). */
  tokenMaxBytes?: number
}

export function createDepServersPlugin (opts: DepServersPluginOptions = {}) {
  return fp(async function depServers (fastify) {
    const { config, metrics } = fastify
    const registry = await openServerRegistry({
      // Token expiry is read on the same clock as the daily check that warns about it.
      now: () => fastify.scheduler.now(),
      ...opts,
      store: fastify.store,
      log: fastify.log,
      tokenMaxBytes: opts.tokenMaxBytes ?? config.tokenMaxBytes,
      clientOptions: { connections: config.depConnections, ...opts.clientOptions },
      onDepEvent: (server, e) => { metrics.onDepEvent(server, e) },
      onServerGone: async (server) => { await metrics.forgetServer(server) }
    })
    fastify.decorate('depServers', registry)
    fastify.addHook('onClose', async () => { await registry.close() })
  }, { name: 'depgate-dep-servers', dependencies: ['depgate-config', 'depgate-scheduler', 'depgate-store', 'depgate-metrics'] })
}
