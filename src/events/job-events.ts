/**
 * `job.finished`: a job reached a final state (succeeded, failed, cancelled). `data` is the job as
 * GET /v1/jobs/{id} shows it (its input, which may name many serials, stays out of the payload).
 * Recorded in the transaction that writes the final state (store/jobs.ts). A job on an org
 * (an org device assignment) names it, so subscriptions' `orgs` filter takes it as `servers` does a
 * server's job.
 */
import type { JobRecord } from '../jobs/types.js'
import type { EventInput } from './types.js'

export function jobFinishedEvent (job: JobRecord): EventInput {
  return { type: 'job.finished', server: job.server, org: job.org, data: { ...job } }
}
