/**
 * The assignment engine as `fastify.assignments`: started once the app is ready (with the
 * mirror, whose change feed it reads and whose lease it works under), stopped at close before
 * the mirror releases its leases. Off with DEPGATE_ASSIGN=false or without the mirror.
 * Metrics: answers by result (counter), queue depth and oldest pending age (gauges, read at scrape).
 */
import fp from 'fastify-plugin'
import { Counter } from 'prom-client'
import { serverGauges } from './server-gauges.js'
import { mapError } from '../../src/api/error-mapping.js'
import { writeFor } from '../../src/api/own-writes.js'
import { AnswerCounter } from '../../src/enrollment/answers.js'
import { applyRulesJob, reassignProfileJob } from '../../src/enrollment/apply-job.js'
import { AssignmentEngine } from '../../src/enrollment/engine.js'
import type { QueueStats } from '../../src/store/index.js'

declare module 'fastify' {
  interface FastifyInstance {
    /** The assignment engine; null when it is off. */
    assignments: AssignmentEngine | null
  }
}

export function createAssignmentsPlugin () {
  return fp(async function assignmentsPlugin (fastify) {
    const { config, store, depServers, metrics, scheduler, mirror } = fastify
    const enabled = config.assign.enabled && mirror.enabled
    const results = new Counter({
      name: 'depgate_assignments_total',
      help: 'Per-serial answers Apple gave the assignment engine on this replica, by server and result (SUCCESS, NOT_ACCESSIBLE, THROTTLED, FAILED)',
      labelNames: ['server', 'result'] as const,
      registers: [metrics.registry]
    })
    // One read per scrape for both gauges; a database outage leaves them out of that scrape.
    const gauge = serverGauges<QueueStats>({
      registry: metrics.registry,
      log: fastify.log,
      what: 'the assignment queue',
      read: async () => (await store.assignments.stats()).map((s) => [s.server, s]),
      enabled: () => enabled
    })
    gauge('depgate_assignment_queue_depth', 'Assignments waiting to be sent (pending, failed, throttled)', (s) => s.depth)
    gauge('depgate_assignment_oldest_pending_seconds', 'Age of the oldest pending assignment', (s) => s.oldestPendingAt === null ? null : Math.max(0, Math.round((scheduler.now() - Date.parse(s.oldestPendingAt)) / 1000)))

    const answers = new AnswerCounter()
    const engine = !enabled
      ? null
      : new AssignmentEngine({
        repo: store.assignments,
        enrollment: store.enrollment,
        lease: { owner: mirror.owner, isLeader: (server) => mirror.isLeader(server) },
        servers: { names: () => depServers.list().map((s) => s.name), client: (name) => depServers.get(name).client },
        async reflect (server, profileUuid, serials) {
          // Apple has assigned them whatever becomes of this: the next sync shows it otherwise.
          try {
            const at = new Date(scheduler.now())
            const { changed } = await store.mirror.applyOwnWrites(server, serials.map((s) => writeFor({ kind: 'assign', profileUuid }, s, at)))
            if (changed > 0) mirror.changed(server)
          } catch (err) {
            fastify.log.warn({ server, err }, 'assignments: could not show the assignments in the mirror at once; the next sync brings them')
          }
        },
        // The sentence an API caller would get for the same failure.
        describeError: (err) => mapError(err).problem.detail,
        scheduler,
        giveUpMs: config.assign.giveUpMs,
        // A replica that takes a lease over finds the due retries within a lease.
        recheckMs: config.mirror.leaseMs,
        log: fastify.log,
        onResults (server, counts) {
          for (const [result, n] of Object.entries(counts)) results.inc({ server, result }, n)
          answers.answered(server)
        }
      })
    fastify.decorate('assignments', engine)
    if (engine === null) return
    const jobDeps = { store, kick: (server: string) => { engine.kick(server) }, scheduler, answers, pollMs: 1000 }
    fastify.jobs.register(applyRulesJob(jobDeps))
    fastify.jobs.register(reassignProfileJob(jobDeps))
    // Not awaited: a pass never rejects (the engine logs its failures).
    const unsubscribe = mirror.onPage((server) => { engine.kick(server) })
    fastify.addHook('onReady', async () => { engine.start() })
    // Before the mirror releases its leases: a pass in flight records Apple's answer while it still may.
    mirror.beforeStop(async () => {
      unsubscribe()
      await engine.stop()
    })
  }, { name: 'depgate-assignments', dependencies: ['depgate-config', 'depgate-scheduler', 'depgate-store', 'depgate-metrics', 'depgate-dep-servers', 'depgate-mirror', 'depgate-jobs'] })
}
