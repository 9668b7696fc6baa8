import type { FastifyPluginAsyncZod } from '@fastify/type-provider-zod'
import { auditPage, auditPageSchema, auditQuerySchema, auditStoreQuery } from '../../../src/api/audit.js'
import { problemResponses } from '../../../src/problems.js'
import { defineRoute } from '../../../src/api/route-kit.js'

const DESCRIPTION = `The audit log, newest first: who (key id) did what (action) to what (server, target), with which result, and when. Every write is in it — refusals too — and every call to Apple: the call is written as an attempt (\`result: pending\`) with the serials it names BEFORE Apple is called, and its outcome (the count per status, or the problem code) after, so an entry left \`pending\` is a call depgate stopped during (or one still running). A change stored by depgate (a key, a server, a token) is written in the same transaction as its entry.

Up to 1000 serials are listed in the entry; above that it gives their count, a SHA-256 of the sorted list (one serial per line) and \`serials_ref\`, where to GET the whole list.

Filters: \`key\`, \`action\`, \`server\`, \`since\` and \`until\` (ISO 8601 with a zone, inclusive). Paged: \`limit\` entries (default 100), then pass \`next_page_token\` as \`page_token\` with the same filters.`

const plugin: FastifyPluginAsyncZod = async (fastify) => {
  fastify.get('/', defineRoute({
    scope: 'admin',
    operationId: 'listAuditEntries',
    tag: 'audit',
    summary: 'Read the audit log',
    description: DESCRIPTION,
    schema: {
      querystring: auditQuerySchema,
      response: { 200: auditPageSchema, ...problemResponses() }
    }
  }), async (request) => {
    const query = auditStoreQuery(request.query)
    const rows = await fastify.store.audit.list({ ...query, limit: query.limit + 1 })
    return auditPage(rows, query.limit, request.query)
  })
}

export default plugin
