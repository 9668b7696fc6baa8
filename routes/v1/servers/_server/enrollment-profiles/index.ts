import type { FastifyPluginAsyncZod } from '@fastify/type-provider-zod'
import { enrollmentProfileListSchema, listNamedProfiles } from '../../../../../src/api/enrollment-profiles.js'
import { defineRoute, serverParamsSchema } from '../../../../../src/api/route-kit.js'
import { problemResponses } from '../../../../../src/problems.js'

const plugin: FastifyPluginAsyncZod = async (fastify) => {
  fastify.get('/', defineRoute({
    scope: 'read',
    operationId: 'listEnrollmentProfiles',
    tag: 'enrollment',
    summary: 'List named enrollment profiles',
    description: 'Every named enrollment profile of the server, by name, with its current UUID at Apple, its content hash, when it was defined and how many devices the mirror shows on it (null while there is no ready mirror).',
    schema: {
      params: serverParamsSchema,
      response: { 200: enrollmentProfileListSchema, ...problemResponses(404) }
    }
  }), async (request) => await listNamedProfiles(fastify, request.params.server))
}

export default plugin
