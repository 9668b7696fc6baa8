/**
 * Apple Business / School Manager organisations as `fastify.orgs`: the clients (one per org) and
 * the org mirror's refresher, started once the app is ready and stopped, releasing its leases,
 * at close.
 */
import fp from 'fastify-plugin'
import { Counter } from 'prom-client'
import { describeOrgError } from '../../src/orgs/errors.js'
import { OrgBudgets } from '../../src/orgs/budget.js'
import { OrgClients } from '../../src/orgs/registry.js'
import { OrgRefresher } from '../../src/orgs/refresher.js'
import { orgAssignJob, type ActivityClient } from '../../src/orgs/assign-job.js'
import type { OrgClientFactory } from '../../src/orgs/types.js'

declare module 'fastify' {
  interface FastifyInstance {
    orgs: { clients: OrgClients, refresher: OrgRefresher, budgets: OrgBudgets }
  }
}

export interface OrgsPluginOptions {
  /** Builds an org's client (tests point it at the simulator); default the AxM client from src/axm. */
  clientFactory?: OrgClientFactory
  /** False: no refresher runs (tests drive `refresher.tick()` themselves). */
  refresh?: boolean
}

export function createOrgsPlugin (opts: OrgsPluginOptions = {}) {
  return fp(async function orgsPlugin (fastify) {
    const { config, store, scheduler, metrics } = fastify
    const runs = new Counter({
      name: 'depgate_org_refresh_runs_total',
      help: 'Org mirror refreshes on this replica, by org and result (ok, error)',
      labelNames: ['org', 'result'] as const,
      registers: [metrics.registry]
    })
    const requests = new Counter({
      name: 'depgate_org_refresh_requests_total',
      help: 'GETs to Apple\'s organisation API made by org mirror refreshes on this replica, by org',
      labelNames: ['org'] as const,
      registers: [metrics.registry]
    })
    const clients = new OrgClients(store, opts.clientFactory)
    const budgets = new OrgBudgets(scheduler, config.orgs.requestsPerMinute)
    const refresher = new OrgRefresher({
      store,
      client: async (org) => await clients.get(org),
      scheduler,
      intervalMs: config.orgs.syncIntervalMs,
      budgets,
      leaseMs: config.mirror.leaseMs,
      describeError: describeOrgError,
      onRun (org, outcome) {
        runs.inc({ org, result: outcome.error === undefined ? 'ok' : 'error' })
        requests.inc({ org }, outcome.requests)
        if (outcome.error !== undefined) fastify.log.warn({ org, err: outcome.error }, 'org mirror refresh failed')
      }
    })
    fastify.decorate('orgs', { clients, refresher, budgets })
    fastify.jobs.register(orgAssignJob({
      // The default client (src/axm) has the activity calls; OrgClient names only what the mirror needs.
      client: async (org) => await clients.get(org) as unknown as ActivityClient,
      scheduler,
      statusCounts: async (id) => await store.jobs.statusCounts(id),
      budget: (org) => budgets.get(org),
      activityTimeoutMs: config.orgs.activityTimeoutMs
    }))
    if (opts.refresh !== false) fastify.addHook('onReady', async () => { refresher.start() })
    fastify.addHook('preClose', async () => { await refresher.stop() })
    fastify.addHook('onClose', async () => { await clients.close() })
  }, { name: 'depgate-orgs', dependencies: ['depgate-config', 'depgate-scheduler', 'depgate-store', 'depgate-metrics', 'depgate-jobs'] })
}
