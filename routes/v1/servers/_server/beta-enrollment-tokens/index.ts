import type { FastifyPluginAsyncZod } from '@fastify/type-provider-zod'
import { betaTokensSchema } from '../../../../../src/api/account.js'
import { defineRoute, errorResponses, serverParamsSchema } from '../../../../../src/api/route-kit.js'

const DESCRIPTION = 'The AppleSeed for IT beta enrollment tokens your organisation may give devices (`betaEnrollmentTokens`, Apple\'s camelCase key). When beta access is turned off for the organisation the answer is 403 `APPLE_SEED_FOR_IT_TURNED_OFF`.'

const plugin: FastifyPluginAsyncZod = async (fastify) => {
  fastify.get('/', defineRoute({
    scope: 'read',
    operationId: 'listBetaEnrollmentTokens',
    tag: 'account',
    summary: 'Beta enrollment tokens',
    description: DESCRIPTION,
    schema: {
      params: serverParamsSchema,
      response: { 200: betaTokensSchema, ...errorResponses() }
    }
  }), async (request) => {
    const { client } = fastify.depServers.get(request.params.server)
    return await client.getBetaEnrollmentTokens()
  })
}

export default plugin
