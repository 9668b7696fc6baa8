import type { FastifyPluginAsyncZod } from '@fastify/type-provider-zod'
import { z } from 'zod'
import { problemResponses } from '../../../../src/problems.js'
import { defineRoute } from '../../../../src/api/route-kit.js'
import { orgParamsSchema, orgSchema, putOrgQuerySchema, putOrgSchema } from '../../../../src/api/org-schemas.js'
import { deleteOrg, getOrg, orgPath, putOrg } from '../../../../src/api/orgs.js'

const PUT_DESCRIPTION = `Stores an Apple Business Manager (or Apple School Manager) API account under this name: the client id and key id shown under Preferences → API, and the private key (the \`.pem\` Apple let you download once). The scope follows from the client id (\`BUSINESSAPI.\` or \`SCHOOLAPI.\`); the private key is sealed at rest and never shown again.

depgate first proves the account by getting an access token with it (\`verify=false\` skips that): Apple's refusal answers 422 \`ORG_CREDENTIALS_REJECTED\` and nothing is stored. Answers 201 when created (Location: the org), 200 when replaced; the org mirror then reads every device of the organisation.`

const plugin: FastifyPluginAsyncZod = async (fastify) => {
  fastify.get('/', defineRoute({
    scope: 'read',
    problems: ['ORG_NOT_FOUND'],
    operationId: 'getOrg',
    tag: 'orgs',
    summary: 'Get an organisation',
    description: 'One organisation: its API account without secrets, when its access token expires, the last failure talking to Apple, and its org mirror.',
    schema: {
      params: orgParamsSchema,
      response: { 200: orgSchema, ...problemResponses(404) }
    }
  }), async (request) => await getOrg(fastify, request.params.org))

  fastify.put('/', defineRoute({
    scope: 'admin',
    problems: ['INVALID_ORG_ACCOUNT', 'ORG_CREDENTIALS_REJECTED', 'UPSTREAM_UNREACHABLE', 'UPSTREAM_ERROR'],
    audit: 'org.put',
    sends: ['Location'],
    operationId: 'putOrg',
    tag: 'orgs',
    summary: 'Create or replace an organisation',
    description: PUT_DESCRIPTION,
    schema: {
      params: orgParamsSchema,
      querystring: putOrgQuerySchema,
      body: putOrgSchema,
      response: { 200: orgSchema, 201: orgSchema, ...problemResponses(413, 415, 422, 502) }
    }
  }), async (request, reply) => {
    const { org } = request.params
    const { view, created } = await putOrg(fastify, request, org, request.body, request.query.verify !== 'false')
    if (created) reply.header('location', orgPath(org))
    return reply.code(created ? 201 : 200).send(view)
  })

  fastify.delete('/', defineRoute({
    scope: 'admin',
    problems: ['ORG_NOT_FOUND'],
    audit: 'org.delete',
    operationId: 'deleteOrg',
    tag: 'orgs',
    summary: 'Delete an organisation',
    description: 'Forgets the API account and the org mirror. Nothing changes at Apple (revoke the key in Apple Business Manager if it is no longer needed).',
    schema: {
      params: orgParamsSchema,
      response: { 204: z.null().describe('Deleted'), ...problemResponses(404) }
    }
  }), async (request, reply) => {
    await deleteOrg(fastify, request, request.params.org)
    return reply.code(204).send(null)
  })
}

export default plugin
