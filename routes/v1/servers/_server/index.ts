import type { FastifyPluginAsyncZod } from '@fastify/type-provider-zod'
import { z } from 'zod'
import { httpProblem, problemResponses } from '../../../../src/problems.js'
import { parseServerToken, ServerTokenError, validateServerToken } from '../../../../src/tokens/server-token.js'
import { APPLE_BASE_URL, serverNotFound, serverPath } from '../../../../src/api/server-info.js'
import { fromAccount, type OrgLinkRequest, patchServerSchema, type ResolvedLink, resolveOrgLink } from '../../../../src/api/server-org.js'
import type { ProblemCode } from '../../../../src/problem-codes.js'
import { putServerSchema, serverInfoSchema } from '../schemas.js'
import { serverWithMirrorSchema, withMirrorStatus } from '../server-mirror.js'
import { defineRoute, errorResponses, serverParamsSchema } from '../../../../src/api/route-kit.js'

/** What linking a server to its org can answer, beside Apple's failures while asking /account for the server's name. */
const LINK_PROBLEMS: readonly ProblemCode[] = ['ORG_NOT_FOUND', 'ORG_MDM_SERVER_NOT_FOUND', 'ORG_MDM_SERVER_NOT_MATCHED', 'ORG_MIRROR_NOT_READY']

const LINK_TEXT = 'An `org` links the server to its Apple Business / School Manager org (GET /v1/orgs), so that a device read of this server also shows the org mirror\'s view of the device (purchase, MDM server, AppleCare). `org_mdm_server` is this server\'s id among the org\'s MDM servers; left out, depgate finds it by this server\'s name in Apple Business Manager (Apple\'s /account `server_name`, asked of Apple when depgate has not stored it) among the MDM servers of the org mirror, exactly, then ignoring case. None or several of that name answer 422 `ORG_MDM_SERVER_NOT_MATCHED` listing the candidates; an unknown org 404 `ORG_NOT_FOUND`; an id the org does not have 404 `ORG_MDM_SERVER_NOT_FOUND`; an org whose first refresh has not completed 503 `ORG_MIRROR_NOT_READY` (unless `org_mdm_server` is given). On any refusal nothing is changed.'

/** The audit detail of a link change. */
function linkDetail (resolved: ResolvedLink | undefined): string {
  if (resolved === undefined) return ''
  return resolved.link === null ? 'unlinked from its org' : `linked to org ${resolved.link.org} (MDM server ${resolved.link.mdmServer})`
}

const plugin: FastifyPluginAsyncZod = async (fastify) => {
  fastify.get('/', defineRoute({
    scope: 'read',
    problems: ['SERVER_NOT_FOUND'],
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
    problems: ['INVALID_SERVER_TOKEN', ...LINK_PROBLEMS],
    operationId: 'putServer',
    tag: 'servers',
    summary: 'Create or replace a DEP server',
    description: `Stores the decrypted server token downloaded from Apple Business Manager (or Apple School Manager) under this name, and optionally a base URL. Answers 201 when created (Location: the server), 200 when replaced; the next request uses the new token. A replaced token keeps the server's org unless \`org\` is sent.\n\n${LINK_TEXT} Here the name is asked of Apple with the token sent, which is then stored with the identity Apple gave.`,
    schema: {
      params: serverParamsSchema,
      body: putServerSchema,
      response: { 200: serverInfoSchema, 201: serverInfoSchema, ...errorResponses(413, 415, 422) }
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
    const now = () => new Date(fastify.scheduler.now())
    const resolved = await resolveOrgLink(fastify, name, request.body, {
      name: async () => fromAccount(await fastify.depServers.probeAccount(parsed, baseUrl ?? APPLE_BASE_URL), now)
    })
    const detail = linkDetail(resolved)
    const audit = (made: boolean) => fastify.auditRow(request, { action: 'server.put', server: name, target: null, detail: `${made ? 'created' : 'replaced'}${detail === '' ? '' : `; ${detail}`}` })
    const { server, created } = await fastify.depServers.put(name, {
      token: parsed,
      audit,
      ...(baseUrl === undefined ? {} : { baseUrl }),
      ...(resolved === undefined ? {} : { orgLink: resolved.link }),
      ...(resolved?.account === undefined ? {} : { account: resolved.account })
    })
    request.audited = true
    if (created) reply.header('location', serverPath(name))
    return reply.code(created ? 201 : 200).send(server)
  })

  fastify.patch('/', defineRoute({
    scope: 'admin',
    problems: LINK_PROBLEMS,
    audit: 'server.org',
    operationId: 'patchServer',
    tag: 'servers',
    summary: 'Link a DEP server to its org',
    description: `Links the server to its org (\`{"org": "default"}\`), or unlinks it (\`{"org": null}\`), without sending its token again. Answers the server.\n\n${LINK_TEXT}`,
    schema: {
      params: serverParamsSchema,
      body: patchServerSchema,
      response: { 200: serverInfoSchema, ...errorResponses(422) }
    }
  }), async (request) => {
    const { server } = request.params
    const dep = fastify.depServers.get(server)
    const now = () => new Date(fastify.scheduler.now())
    const resolved = await resolveOrgLink(fastify, server, request.body as OrgLinkRequest, {
      name: async () => {
        const known = dep.info.account?.server_name
        return known == null ? fromAccount(await dep.client.getAccount(), now) : { serverName: known }
      }
    }) as ResolvedLink
    const audit = fastify.auditRow(request, { action: 'server.org', server, target: null, detail: linkDetail(resolved) })
    const info = await fastify.depServers.link(server, resolved.account === undefined ? { link: resolved.link, audit } : { link: resolved.link, account: resolved.account, audit })
    request.audited = true
    return info
  })

  fastify.delete('/', defineRoute({
    scope: 'admin',
    problems: ['SERVER_NOT_FOUND'],
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
