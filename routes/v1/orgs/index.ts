import type { FastifyPluginAsyncZod } from '@fastify/type-provider-zod'
import { problemResponses } from '../../../src/problems.js'
import { defineRoute } from '../../../src/api/route-kit.js'
import { orgListSchema } from '../../../src/api/org-schemas.js'
import { listOrgs } from '../../../src/api/orgs.js'

const plugin: FastifyPluginAsyncZod = async (fastify) => {
  fastify.get('/', defineRoute({
    scope: 'read',
    operationId: 'listOrgs',
    tag: 'orgs',
    summary: 'List organisations',
    description: 'Every configured Apple Business / School Manager organisation: its API account (client id, key id, scope; never the private key nor a token), when its access token expires, and its org mirror (when it last refreshed, device count, last failure).',
    schema: {
      response: { 200: orgListSchema, ...problemResponses() }
    }
  }), async () => ({ orgs: await listOrgs(fastify) }))
}

export default plugin
