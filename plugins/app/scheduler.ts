/**
 * The clock every background loop runs on, as `fastify.scheduler`: the syncers, the reconcile loop
 * and long polls of the mirror, token-health checks and webhook retries. The real one by default;
 * tests pass a ManualScheduler (src/scheduler.ts) and move time themselves instead of sleeping.
 */
import fp from 'fastify-plugin'
import { realScheduler, type Scheduler } from '../../src/scheduler.js'

declare module 'fastify' {
  interface FastifyInstance {
    /** Time, timers and randomness for background work. */
    scheduler: Scheduler
  }
}

export function createSchedulerPlugin (scheduler: Scheduler = realScheduler) {
  return fp(async function schedulerPlugin (fastify) {
    fastify.decorate('scheduler', scheduler)
  }, { name: 'depgate-scheduler' })
}
