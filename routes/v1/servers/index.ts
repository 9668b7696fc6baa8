import type { FastifyPluginAsyncZod } from '@fastify/type-provider-zod'
import { z } from 'zod'
import { problemResponses } from '../../../src/problems.js'
import { serverWithMirrorSchema, withMirrorStatus } from './server-mirror.js'
import { defineRoute } from '../../../src/api/route-kit.js'

const plugin: FastifyPluginAsyncZod = async (fastify) => {
  fastify.get('/', defineRoute({
    scope: 'read',
    operationId: 'listServers',
    tag: 'servers',
    summary: 'List DEP servers',
    description: 'Every configured DEP server with its token health (expiry and days left) and its device mirror (`inventory`: whether device reads come from the mirror, when it last synced with Apple, the last failure, the change feed\'s newest sequence number). Secrets are never shown; the consumer key appears only as a fingerprint.',
    schema: {
      response: { 200: z.object({ servers: z.array(serverWithMirrorSchema) }), ...problemResponses() }
    }
  }), async () => ({ servers: await withMirrorStatus(fastify, fastify.depServers.list()) }))
}

export default plugin
