import type { FastifyPluginAsyncZod } from '@fastify/type-provider-zod'
import { jobListQuerySchema, jobPage, jobPageSchema, jobStoreQuery } from '../../../src/api/jobs.js'
import { problemResponses } from '../../../src/problems.js'
import { defineRoute } from '../../../src/api/route-kit.js'

const DESCRIPTION = `Jobs, newest first: long work depgate runs in the background with its progress — a \`PUT …/profiles/{uuid}/devices\` with more than 1000 serials or with \`Prefer: respond-async\`, and the enrollment engines' backfills. A job is worked by one replica at a time and resumes on another if that one stops. Finished jobs and their results are kept DEPGATE_JOB_RETENTION_DAYS (default 30).

Filters: \`state\`, \`kind\`, \`server\`. Paged: \`limit\` jobs (default 100), then pass \`next_page_token\` as \`page_token\` with the same filters.`

const plugin: FastifyPluginAsyncZod = async (fastify) => {
  fastify.get('/', defineRoute({
    scope: 'read',
    problems: ['INVALID_PAGE_TOKEN'],
    operationId: 'listJobs',
    tag: 'jobs',
    summary: 'List jobs',
    description: DESCRIPTION,
    schema: {
      querystring: jobListQuerySchema,
      response: { 200: jobPageSchema, ...problemResponses() }
    }
  }), async (request) => {
    const query = jobStoreQuery(request.query)
    const rows = await fastify.store.jobs.list({ ...query, limit: query.limit + 1 })
    return jobPage(rows, query.limit, request.query)
  })
}

export default plugin
