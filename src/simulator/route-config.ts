/**
 * What the simulator's routes share with the app that registers them: the route config that marks
 * an Apple endpoint, and the decorator types. A module of its own, so the routes do not import
 * app.ts, which imports them.
 */
import type { DepEndpoint } from '../dep/errors.js'
import type { SimState } from './state.js'

declare module 'fastify' {
  interface FastifyInstance {
    sim: SimState
  }
  interface FastifyContextConfig {
    /** Marks an Apple endpoint: its stats/fault name, and whether it needs a session. */
    depsim?: { endpoint: DepEndpoint, session: boolean }
  }
}

/** Route config for an Apple endpoint. */
export function dep (endpoint: DepEndpoint, session = true): { config: { depsim: { endpoint: DepEndpoint, session: boolean } } } {
  return { config: { depsim: { endpoint, session } } }
}
