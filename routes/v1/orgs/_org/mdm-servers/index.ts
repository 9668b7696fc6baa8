import type { FastifyPluginAsyncZod } from '@fastify/type-provider-zod'
import { problemResponses } from '../../../../../src/problems.js'
import { defineRoute } from '../../../../../src/api/route-kit.js'
import { orgMdmServerListSchema, orgParamsSchema } from '../../../../../src/api/org-schemas.js'
import { listOrgMdmServers } from '../../../../../src/api/org-devices.js'

const plugin: FastifyPluginAsyncZod = async (fastify) => {
  fastify.get('/', defineRoute({
    scope: 'read',
    problems: ['ORG_NOT_FOUND', 'ORG_MIRROR_NOT_READY'],
    operationId: 'listOrgMdmServers',
    tag: 'orgs',
    summary: 'List the organisation\'s MDM servers',
    description: 'Every MDM server of the organisation (Apple\'s device management services: MDM, Apple Configurator…) as the org mirror\'s last refresh saw them, with how many of the organisation\'s devices are assigned to each. A DEP server at depgate is one of them.',
    schema: {
      params: orgParamsSchema,
      response: { 200: orgMdmServerListSchema, ...problemResponses(404, 503) }
    }
  }), async (request) => await listOrgMdmServers(fastify, request.params.org))
}

export default plugin
