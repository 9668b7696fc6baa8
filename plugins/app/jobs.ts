/**
 * Jobs as `fastify.jobs` (src/jobs): the runner starts once the app is ready and stops, handing
 * its running jobs on, at close. Other plugins register their kinds on it (dependency
 * `depgate-jobs`) before the app is ready; this one registers `assign_profile`. Prometheus:
 * jobs per kind and state (read from the database at scrape time: every replica's) and the jobs
 * running on this replica.
 */
import fp from 'fastify-plugin'
import { Gauge } from 'prom-client'
import { JobRunner } from '../../src/jobs/runner.js'
import { assignProfileJob } from '../../src/api/profile-assign-job.js'

declare module 'fastify' {
  interface FastifyInstance {
    /** Long work with progress: register kinds, enqueue, read, cancel. */
    jobs: JobRunner
  }
}

export interface JobsPluginOptions {
  /** How often queued jobs and expired claims are looked for (default 2 s). */
  pollMs?: number
  /** A claim's length without a heartbeat (default: config's jobLeaseMs, DEPGATE_JOB_LEASE). */
  leaseMs?: number
}

export function createJobsPlugin (opts: JobsPluginOptions = {}) {
  return fp(async function jobsPlugin (fastify) {
    const { config, store, metrics, scheduler } = fastify
    const runner = new JobRunner({
      repo: store.jobs,
      scheduler,
      leaseMs: opts.leaseMs ?? config.jobLeaseMs,
      pollMs: opts.pollMs ?? 2_000,
      retentionMs: config.jobRetentionMs,
      purgeEveryMs: 3_600_000,
      concurrency: 2,
      log: fastify.log
    })
    runner.register(assignProfileJob(fastify))
    // eslint-disable-next-line no-new -- registered in the registry, read at scrape time
    new Gauge({
      name: 'depgate_jobs',
      help: 'Jobs in the database, by kind and state (every replica\'s; finished ones until DEPGATE_JOB_RETENTION_DAYS)',
      labelNames: ['kind', 'state'] as const,
      registers: [metrics.registry],
      async collect () {
        this.reset()
        try {
          for (const { kind, state, count } of await store.jobs.counts()) this.set({ kind, state }, count)
        } catch (err) {
          fastify.log.warn({ err }, 'metrics: could not count jobs; depgate_jobs is left out of this scrape')
        }
      }
    })
    // eslint-disable-next-line no-new -- registered in the registry, read at scrape time
    new Gauge({
      name: 'depgate_jobs_running',
      help: 'Jobs running on this replica',
      registers: [metrics.registry],
      collect () { this.set(runner.running) }
    })
    fastify.decorate('jobs', runner)
    fastify.addHook('onReady', async () => { runner.start() })
    fastify.addHook('preClose', async () => { await runner.stop() })
  }, { name: 'depgate-jobs', dependencies: ['depgate-config', 'depgate-scheduler', 'depgate-store', 'depgate-metrics', 'depgate-dep-servers', 'depgate-mirror', 'depgate-audit'] })
}
