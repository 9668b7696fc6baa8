import type { FastifyPluginAsyncZod } from '@fastify/type-provider-zod'
import { jobNotFound, jobParamsSchema, jobSchema, jobView } from '../../../../src/api/jobs.js'
import { httpProblem, problemResponses } from '../../../../src/problems.js'
import { defineRoute } from '../../../../src/api/route-kit.js'

const CANCEL = `Cancels the job. A queued job is cancelled at once (200, state \`cancelled\`). A running job is asked to stop (202, \`cancel_requested: true\`): it stops after the call to Apple in flight (at most 1000 serials), on whichever replica runs it; GET the job until its state is \`cancelled\`. What it did until then stays done, and listed in its results.

A job that has already finished answers 409 \`JOB_FINISHED\`.`

const plugin: FastifyPluginAsyncZod = async (fastify) => {
  fastify.get('/', defineRoute({
    scope: 'read',
    problems: ['JOB_NOT_FOUND'],
    operationId: 'getJob',
    tag: 'jobs',
    summary: 'Get a job',
    description: 'The job\'s state and progress (`done` of `total`), and once finished its `summary` or `error`. Its per-serial outcomes are at `/v1/jobs/{id}/results`.',
    schema: {
      params: jobParamsSchema,
      response: { 200: jobSchema, ...problemResponses(404) }
    }
  }), async (request) => {
    const job = await fastify.jobs.get(request.params.id)
    if (job === undefined) throw jobNotFound(request.params.id)
    return jobView(job)
  })

  fastify.delete('/', defineRoute({
    scope: 'write',
    audit: 'job.cancel',
    problems: ['JOB_NOT_FOUND', 'JOB_FINISHED'],
    operationId: 'cancelJob',
    tag: 'jobs',
    summary: 'Cancel a job',
    description: CANCEL,
    schema: {
      params: jobParamsSchema,
      response: { 200: jobSchema, 202: jobSchema, ...problemResponses(404, 409) }
    }
  }), async (request, reply) => {
    const { id } = request.params
    const answer = await fastify.jobs.cancel(id)
    if (answer === undefined) throw jobNotFound(id)
    const { job, finished } = answer
    if (finished) throw httpProblem(409, 'JOB_FINISHED', `Job ${id} has already finished (${job.state}); there is nothing to cancel.`)
    request.auditWith({ detail: `${job.kind}, progress ${JSON.stringify(job.progress)}` })
    return await reply.code(job.state === 'cancelled' ? 200 : 202).send(jobView(job))
  })
}

export default plugin
