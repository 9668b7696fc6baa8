import type { FastifyPluginAsyncZod } from '@fastify/type-provider-zod'
import { auditIdParamsSchema, auditSerialsSchema } from '../../../../../src/api/audit.js'
import { httpProblem, problemResponses } from '../../../../../src/problems.js'
import { defineRoute } from '../../../../../src/api/route-kit.js'

const plugin: FastifyPluginAsyncZod = async (fastify) => {
  fastify.get('/', defineRoute({
    scope: 'admin',
    operationId: 'listAuditEntrySerials',
    tag: 'audit',
    summary: 'The serials of an audit entry',
    description: 'Every serial the entry names, in the order they were sent: where an entry\'s `serials_ref` points when it names more than 1000.',
    schema: {
      params: auditIdParamsSchema,
      response: { 200: auditSerialsSchema, ...problemResponses(404) }
    }
  }), async (request) => {
    const { id } = request.params
    const serials = await fastify.store.audit.serials(id)
    if (serials === undefined) throw httpProblem(404, 'AUDIT_ENTRY_NOT_FOUND', `No audit entry with id ${id}.`)
    return { id, serials }
  })
}

export default plugin
