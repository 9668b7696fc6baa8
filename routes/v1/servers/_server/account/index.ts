import type { FastifyPluginAsyncZod } from '@fastify/type-provider-zod'
import type { FastifyReply } from 'fastify'
import { accountSchema } from '../../../../../src/api/account.js'
import { defineRoute, errorResponses, serverParamsSchema } from '../../../../../src/api/route-kit.js'

const DESCRIPTION = `Apple's account detail for this MDM server: its name and UUID, the organisation, the Apple Account that generated the token, and Apple's list of endpoints with their page limits.

A quick end-to-end check that the server token works: terms not accepted in Apple Business/School Manager answer 403 \`T_C_NOT_SIGNED\`, a token without access 403 \`ACCESS_DENIED\`.`

const plugin: FastifyPluginAsyncZod = async (fastify) => {
  fastify.get('/', defineRoute({
    scope: 'read',
    operationId: 'getAccount',
    tag: 'account',
    summary: 'Apple account detail',
    description: DESCRIPTION,
    schema: {
      params: serverParamsSchema,
      response: { 200: accountSchema, ...errorResponses() }
    }
  }), async (request, reply) => {
    const { client } = fastify.depServers.get(request.params.server)
    // Apple's text, checked by the DEP client against a schema that keeps every field: it is the
    // answer as the response schema would write it, without parsing it into a string once more.
    const { json } = await client.getAccountAnswer()
    const raw: FastifyReply = reply
    return raw.type('application/json; charset=utf-8').send(json)
  })
}

export default plugin
