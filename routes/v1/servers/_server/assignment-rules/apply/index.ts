import type { FastifyPluginAsyncZod } from '@fastify/type-provider-zod'
import { z } from 'zod'
import { previewRules, previewSchema } from '../../../../../../src/api/assignment-preview.js'
import { jobSchema, jobView } from '../../../../../../src/api/jobs.js'
import { requireMirror } from '../../../../../../src/api/mirror-source.js'
import { queryFlag } from '../../../../../../src/api/query-values.js'
import { defineRoute, serverParamsSchema } from '../../../../../../src/api/route-kit.js'
import { APPLY_RULES_KIND } from '../../../../../../src/enrollment/apply-job.js'
import { PROBLEM_GROUPS } from '../../../../../../src/problem-codes.js'
import { httpProblem, problemResponses } from '../../../../../../src/problems.js'

const plugin: FastifyPluginAsyncZod = async (fastify) => {
  fastify.post('/', defineRoute({
    scope: 'write',
    problems: ['SERVER_NOT_FOUND', 'ASSIGNMENTS_DISABLED', ...PROBLEM_GROUPS.mirror],
    audit: 'assignment_rules.apply',
    sends: ['Location'],
    operationId: 'applyAssignmentRules',
    tag: 'enrollment',
    summary: 'Apply the assignment rules to every device (a backfill)',
    description: 'The rules act by themselves on devices that change after they were stored; this applies them to every device the mirror holds. The answer is 202 with a job (`Location: /v1/jobs/{id}`, kind `apply_rules`): it queues each device the rules would assign now (exactly those the preview counts in `to_assign`) for the assignment engine, which sends them in calls of at most 1000 serials with its retry schedule, and follows them until each has an outcome: the job\'s progress counts them, its results hold each serial\'s (`queued` until it has one, then `succeeded`, `not_accessible`, `gave_up`, `not_needed`; the list and total are fixed when the job first queues, and kept across a restart). Cancelling the job stops the following; queued devices stay queued (GET …/assignments). With `dry_run=true` nothing is queued: the answer is 200 with the preview (POST …/assignment-rules/preview). 409 `ASSIGNMENTS_DISABLED` when the engine is off.',
    schema: {
      params: serverParamsSchema,
      querystring: z.object({ dry_run: queryFlag(false).describe('Answer the preview instead of starting the job') }),
      response: { 200: previewSchema.describe('The preview (dry_run=true)'), 202: jobSchema.describe('The backfill job'), ...problemResponses(404, 409) }
    }
  }), async (request, reply) => {
    const { server } = request.params
    if (request.query.dry_run) return await previewRules(fastify, server, undefined)
    fastify.depServers.get(server)
    if (fastify.assignments === null) {
      throw httpProblem(409, 'ASSIGNMENTS_DISABLED', `The assignment engine is off on this depgate (DEPGATE_ASSIGN=false, or DEPGATE_MIRROR=false), so the rules cannot be applied for server "${server}". Turn it on, or assign with PUT …/profiles/{uuid}/devices.`)
    }
    requireMirror(true, server, await fastify.store.mirror.state(server))
    const job = await fastify.jobs.enqueue({ kind: APPLY_RULES_KIND, server, input: { server } })
    reply.code(202).header('location', `/v1/jobs/${job.id}`)
    return jobView(job)
  })
}

export default plugin
