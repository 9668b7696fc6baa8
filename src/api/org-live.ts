/**
 * The org routes' live calls to Apple: each takes its GETs from the org's request budget (shared
 * with the mirror's refresh and the jobs: src/orgs/budget.ts) or is answered 429
 * ORG_REQUEST_BUDGET_EXHAUSTED with Retry-After, never sent beyond it; Apple's own 429 holds that
 * budget for its Retry-After. The MDM server check of an assignment reads the org mirror and asks
 * Apple only for a server the mirror does not list.
 */
import type { FastifyInstance } from 'fastify'
import { withOrgErrors } from '../orgs/errors.js'
import { HttpProblem, httpProblem } from '../problems.js'

/** Takes `count` GETs of the org's budget now, or throws 429 ORG_REQUEST_BUDGET_EXHAUSTED. */
export function takeLiveGets (fastify: FastifyInstance, org: string, count: number): void {
  const waitMs = fastify.orgs.budgets.get(org).takeNow(count)
  if (waitMs === undefined) return
  const seconds = Math.max(1, Math.ceil(waitMs / 1000))
  throw httpProblem(429, 'ORG_REQUEST_BUDGET_EXHAUSTED', `depgate keeps its calls to Apple for org "${org}" within ${fastify.config.orgs.requestsPerMinute} a minute (DEPGATE_ORG_REQUEST_BUDGET), and that budget is used up for now; try again in ${seconds} second(s), or read the org mirror (leave out source=apple).`, { retryAfterSeconds: seconds })
}

/** Awaits a live call, its Apple failure turned into the problem it is answered with; Apple's 429 holds the org's budget. */
export async function live<T> (fastify: FastifyInstance, org: string, call: Promise<T>): Promise<T> {
  try {
    return await withOrgErrors(org, call)
  } catch (problem) {
    if (problem instanceof HttpProblem && problem.code === 'UPSTREAM_THROTTLED') {
      fastify.orgs.budgets.get(org).holdUntil(fastify.scheduler.now() + (problem.retryAfterSeconds as number) * 1000)
    }
    throw problem
  }
}

/** 404 ORG_NOT_FOUND or ORG_MDM_SERVER_NOT_FOUND unless the org has the MDM server `id`. */
export async function checkMdmServer (fastify: FastifyInstance, org: string, id: string): Promise<void> {
  const client = await fastify.orgs.clients.get(org)
  if (await fastify.store.orgMirror.mdmServer(org, id) !== undefined) return
  // Not listed by the mirror (created since its last walk, or before its first): Apple is asked.
  takeLiveGets(fastify, org, 1)
  const servers = await live(fastify, org, client.listMdmServers())
  if (!servers.some((s) => s.id === id)) {
    throw httpProblem(404, 'ORG_MDM_SERVER_NOT_FOUND', `Org "${org}" has no MDM server with id ${id}. GET /v1/orgs/${org}/mdm-servers lists them.`)
  }
}
