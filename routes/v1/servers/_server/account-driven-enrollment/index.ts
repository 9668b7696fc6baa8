import type { FastifyPluginAsyncZod } from '@fastify/type-provider-zod'
import { z } from 'zod'
import { APPLE_GUARDS } from '../../../../../src/api/apple-guards.js'
import { adeProfileBodySchema, adeProfileSchema } from '../../../../../src/api/account.js'
import { defineRoute, errorResponses, withNotFoundProblem, serverParamsSchema } from '../../../../../src/api/route-kit.js'

const ABOUT = 'Account-driven enrollment: the MDM service discovery URL Apple hands to devices whose users sign in with a Managed Apple Account. Organisations Apple does not support for it get 400 `ORG_NOT_SUPPORTED`.'

const plugin: FastifyPluginAsyncZod = async (fastify) => {
  fastify.get('/', defineRoute({
    scope: 'read',
    operationId: 'getAccountDrivenEnrollment',
    tag: 'account',
    summary: 'Get the account-driven enrollment URL',
    description: `${ABOUT}\n\nNone set answers 404 \`NOT_FOUND\`.`,
    schema: {
      params: serverParamsSchema,
      response: { 200: adeProfileSchema, ...errorResponses() }
    }
  }), async (request) => {
    const { server } = request.params
    const { client } = fastify.depServers.get(server)
    return await withNotFoundProblem(client.getAdeProfile(), 'NOT_FOUND', 'NOT_FOUND', `No account-driven enrollment URL is set for this MDM server ("${server}"). Set one with PUT.`)
  })

  fastify.put('/', defineRoute({
    scope: 'admin',
    audit: 'ade.set',
    operationId: 'putAccountDrivenEnrollment',
    tag: 'account',
    summary: 'Set the account-driven enrollment URL',
    description: `${ABOUT}\n\nThe URL must be https; Apple answers 400 \`MDM_SERVICE_DISCOVERY_URL_NOT_VALID\` for one it does not accept.`,
    schema: {
      params: serverParamsSchema,
      body: adeProfileBodySchema,
      response: { 200: adeProfileSchema, ...errorResponses(413, 415) }
    }
  }), async (request) => await APPLE_GUARDS.adeSet.run(fastify, request, request.params.server, request.body))

  fastify.delete('/', defineRoute({
    scope: 'admin',
    audit: 'ade.delete',
    operationId: 'deleteAccountDrivenEnrollment',
    tag: 'account',
    summary: 'Remove the account-driven enrollment URL',
    description: `${ABOUT}\n\nAnswers 204 when removed.`,
    schema: {
      params: serverParamsSchema,
      response: { 204: z.null().describe('Removed'), ...errorResponses() }
    }
  }), async (request, reply) => {
    const { server } = request.params
    const { client } = fastify.depServers.get(server)
    await fastify.auditCall(request, { action: 'ade.delete', server, target: null }, async () => { await client.deleteAdeProfile() }, () => ({}))
    return reply.code(204).send(null)
  })
}

export default plugin
