import type { FastifyPluginAsyncZod } from '@fastify/type-provider-zod'
import { z } from 'zod'
import { httpProblem, problemResponses } from '../../../../src/problems.js'
import { parseServerToken, ServerTokenError, validateServerToken } from '../../../../src/tokens/server-token.js'
import { serverNotFound, serverPath } from '../../../../src/api/server-info.js'
import { putServerSchema, serverInfoSchema } from '../schemas.js'
import { serverWithMirrorSchema, withMirrorStatus } from '../server-mirror.js'
import { defineRoute, serverParamsSchema } from '../../../../src/api/route-kit.js'

const plugin: FastifyPluginAsyncZod = async (fastify) => {
  fastify.get('/', defineRoute({
    scope: 'read',
    operationId: 'getServer',
    tag: 'servers',
    summary: 'Get a DEP server',
    description: 'One DEP server with its token health and its device mirror (`inventory`).',
    schema: {
      params: serverParamsSchema,
      response: { 200: serverWithMirrorSchema, ...problemResponses(404) }
    }
  }), async (request) => (await withMirrorStatus(fastify, [fastify.depServers.get(request.params.server).info]))[0])

  fastify.put('/', defineRoute({
    scope: 'admin',
    audit: 'server.put',
    sends: ['Location'],
    operationId: 'putServer',
    tag: 'servers',
    summary: 'Create or replace a DEP server',
    description: 'Stores the decrypted server token downloaded from Apple Business Manager (or Apple School Manager) under this name, and optionally a base URL. Answers 201 when created (Location: the server), 200 when replaced; the next request uses the new token.',
    schema: {
      params: serverParamsSchema,
      body: putServerSchema,
      response: { 200: serverInfoSchema, 201: serverInfoSchema, ...problemResponses(413, 415) }
    }
  }), async (request, reply) => {
    const { token, base_url: baseUrl } = request.body
    let parsed
    try {
      parsed = typeof token === 'string' ? parseServerToken(token) : validateServerToken(token)
    } catch (err) {
      /* c8 ignore next - parse/validate throw nothing else */
      if (!(err instanceof ServerTokenError)) throw err
      throw httpProblem(400, 'INVALID_SERVER_TOKEN', `The server token cannot be used: ${err.message}.`, { errors: [{ field: 'body.token', message: err.message }] })
    }
    const name = request.params.server
    const audit = (made: boolean) => fastify.auditRow(request, { action: 'server.put', server: name, target: null, detail: made ? 'created' : 'replaced' })
    const { server, created } = await fastify.depServers.put(name, baseUrl === undefined ? { token: parsed, audit } : { token: parsed, baseUrl, audit })
    request.audited = true
    if (created) reply.header('location', serverPath(name))
    return reply.code(created ? 201 : 200).send(server)
  })

  fastify.delete('/', defineRoute({
    scope: 'admin',
    audit: 'server.delete',
    operationId: 'deleteServer',
    tag: 'servers',
    summary: 'Delete a DEP server',
    description: 'Forgets the server and its token. Nothing changes at Apple.',
    schema: {
      params: serverParamsSchema,
      response: { 204: z.null().describe('Deleted'), ...problemResponses(404) }
    }
  }), async (request, reply) => {
    const { server } = request.params
    if (!(await fastify.depServers.delete(server, fastify.auditRow(request, { action: 'server.delete', server, target: null })))) throw serverNotFound(server)
    request.audited = true
    return reply.code(204).send(null)
  })
}

export default plugin
