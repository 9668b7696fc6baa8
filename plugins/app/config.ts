import fp from 'fastify-plugin'
import type { Config } from '../../src/config.js'

declare module 'fastify' {
  interface FastifyInstance {
    /** The validated DEPGATE_* configuration. */
    config: Config
  }
}

export function createConfigPlugin (config: Config) {
  return fp(async function configPlugin (fastify) {
    fastify.decorate('config', config)
  }, { name: 'depgate-config' })
}
