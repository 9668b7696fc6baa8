import type { FastifyPluginAsyncZod } from '@fastify/type-provider-zod'
import { z } from 'zod'
import { generateApiKey } from '../../../src/api-key-secrets.js'
import { problemResponses } from '../../../src/problems.js'
import { apiKeySchema, createdKeySchema, createKeySchema, keyView } from '../../../src/api/api-key-views.js'
import { defineRoute } from '../../../src/api/route-kit.js'

const plugin: FastifyPluginAsyncZod = async (fastify) => {
  fastify.get('/', defineRoute({
    scope: 'admin',
    operationId: 'listApiKeys',
    tag: 'keys',
    summary: 'List API keys',
    description: 'Every key ever created, revoked ones included (with revoked_at). Never secrets or hashes.',
    schema: {
      response: { 200: z.object({ keys: z.array(apiKeySchema) }), ...problemResponses() }
    }
  }), async () => ({ keys: (await fastify.store.keys.list()).map(keyView) }))

  fastify.post('/', defineRoute({
    scope: 'admin',
    audit: 'key.create',
    sends: ['Location'],
    operationId: 'createApiKey',
    tag: 'keys',
    summary: 'Create an API key',
    description: 'Creates a key with a label and a scope and answers it ONCE in `key`: depgate keeps only a hash. Location: the key (`GET /v1/keys/{id}`, without the secret).',
    schema: {
      body: createKeySchema,
      response: { 201: createdKeySchema, ...problemResponses(413, 415) }
    }
  }), async (request, reply) => {
    const generated = generateApiKey()
    const record = await fastify.store.keys.create({ id: generated.id, hash: generated.hash, ...request.body },
      fastify.auditRow(request, { action: 'key.create', target: `/v1/keys/${generated.id}`, detail: `scope=${request.body.scope}` }))
    request.audited = true
    return reply.code(201).header('cache-control', 'no-store').header('location', `/v1/keys/${record.id}`).send({ ...keyView(record), key: generated.key })
  })
}

export default plugin
