import type { FastifyPluginAsyncZod } from '@fastify/type-provider-zod'
import { jobNotFound, jobParamsSchema, jobResultsPage, jobResultsPageSchema, jobResultsQuerySchema, jobResultsStoreQuery } from '../../../../../src/api/jobs.js'
import { problemResponses } from '../../../../../src/problems.js'
import { defineRoute } from '../../../../../src/api/route-kit.js'

const DESCRIPTION = `The job's outcome per serial, by serial: Apple's status (\`SUCCESS\`, \`NOT_ACCESSIBLE\`, \`FAILED\`, \`THROTTLED\`) and when it was recorded. Results appear as the job goes, a chunk at a time.

Filter: \`status\` (e.g. \`status=FAILED\` for the serials to try again). Paged: \`limit\` serials (default 100), then pass \`next_page_token\` as \`page_token\` with the same \`status\`.`

const plugin: FastifyPluginAsyncZod = async (fastify) => {
  fastify.get('/', defineRoute({
    scope: 'read',
    problems: ['JOB_NOT_FOUND', 'INVALID_PAGE_TOKEN'],
    operationId: 'listJobResults',
    tag: 'jobs',
    summary: 'List a job\'s per-serial results',
    description: DESCRIPTION,
    schema: {
      params: jobParamsSchema,
      querystring: jobResultsQuerySchema,
      response: { 200: jobResultsPageSchema, ...problemResponses(404) }
    }
  }), async (request) => {
    const { id } = request.params
    const query = jobResultsStoreQuery(request.query)
    if (await fastify.jobs.get(id) === undefined) throw jobNotFound(id)
    const rows = await fastify.store.jobs.listResults(id, { ...query, limit: query.limit + 1 })
    return jobResultsPage(id, rows, query.limit, request.query)
  })
}

export default plugin
