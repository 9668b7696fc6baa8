import type { FastifyReply } from 'fastify'
import type { FastifyPluginAsyncZod } from '@fastify/type-provider-zod'
import { APPLE_GUARDS, GUARDED_METHODS, guardFor, refusedMethods, runGuarded } from '../../../../../src/api/apple-guards.js'
import { applePath, forwardableHeaders, PASSTHROUGH_METHODS, PASSTHROUGH_OPERATION_IDS, type PassthroughMethod, passthroughParamsSchema, passthroughQuerySchema } from '../../../../../src/api/passthrough.js'
import { defineRoute, errorResponses } from '../../../../../src/api/route-kit.js'
import { httpProblem } from '../../../../../src/problems.js'
import { PROBLEM_GROUPS } from '../../../../../src/problem-codes.js'

const DESCRIPTION = `Calls any path of Apple's DEP API with this server's credentials and answers Apple's status, body and headers as they are — for endpoints depgate does not wrap yet. \`GET /v1/servers/default/apple/account\` calls Apple's \`GET /account\`.

Only the method (${PASSTHROUGH_METHODS.join(', ')}), the path, the query string and the body are forwarded: none of your headers, so your Authorization never reaches Apple. The body is sent as is (Apple expects JSON). Apple's hop-by-hop and credential headers are dropped, so its session token (\`X-ADM-Auth-Session\`) never reaches you. depgate's own X-Request-Id, rate-limit fields, Cache-Control and X-Content-Type-Options are sent in place of any Apple sent. \`/session\` cannot be called.

A path depgate guards takes the same policy as its typed route, checked on Apple's own body shape before anything is sent: \`POST devices/disown\` (off unless \`DEPGATE_ALLOW_DISOWN=true\`; the body must add \`confirm\`, as for POST …/devices/disown), \`POST\`/\`PUT\`/\`DELETE profile/devices\` (chunked into Apple's batches of 1000), \`POST profile\` (Apple's profile rules), \`POST device/activationlock\` and \`POST account-driven-enrollment/profile\`; their answer is Apple's shape, merged across chunks. Another write method on those paths is refused with 405.

Every call is written to the audit log, reads included: they read Apple's data with this server's credentials. A call is written as an attempt before Apple is called and finished with Apple's status after. Apple's errors come back as Apple sent them (a bare code such as \`INVALID_CURSOR\`), not as problems; depgate's own failures (unknown server, Apple unreachable) are problems.`

const plugin: FastifyPluginAsyncZod = async (fastify) => {
  // Apple's body is forwarded verbatim whatever its type, so this scope reads every body as text.
  fastify.removeAllContentTypeParsers()
  fastify.addContentTypeParser('*', { parseAs: 'string' }, (_request, body, done) => { done(null, body) })

  fastify.all('/*', defineRoute({
    scope: 'admin',
    problems: ['METHOD_NOT_ALLOWED', 'PASSTHROUGH_PATH_REFUSED', 'INVALID_JSON', 'BODY_TOO_LARGE', ...PROBLEM_GROUPS.disown, ...PROBLEM_GROUPS.profileRules],
    // Each method's operation lists what that method can be answered: a 405 only for a method some
    // guarded path refuses, 413 only where a body is read (never GET or HEAD), a guard's checks only
    // with the methods it takes.
    problemMethods: {
      METHOD_NOT_ALLOWED: refusedMethods(PASSTHROUGH_METHODS),
      BODY_TOO_LARGE: PASSTHROUGH_METHODS.filter((m) => m !== 'GET' && m !== 'HEAD'),
      ...Object.fromEntries(PROBLEM_GROUPS.disown.map((code) => [code, APPLE_GUARDS.disown.apple.methods])),
      // Any guard's body is parsed, and the DEP client refuses a device call without serials (src/dep/client.ts).
      INVALID_JSON: GUARDED_METHODS,
      DEVICE_ID_REQUIRED: GUARDED_METHODS,
      ...Object.fromEntries(PROBLEM_GROUPS.profileRules.map((code) => [code, APPLE_GUARDS.define.apple.methods]))
    },
    audit: 'apple.passthrough',
    produces: ['*/*'],
    operationId: PASSTHROUGH_OPERATION_IDS,
    tag: 'pass-through',
    summary: 'Call any Apple DEP endpoint',
    description: DESCRIPTION,
    schema: {
      params: passthroughParamsSchema,
      // Declared as "any parameter": the query string is Apple's, forwarded as it is, so depgate cannot know Apple's names.
      querystring: passthroughQuerySchema,
      response: errorResponses(405, 413)
    }
  }), async (request, reply) => {
    const method = request.method as PassthroughMethod
    if (!PASSTHROUGH_METHODS.includes(method)) {
      throw httpProblem(405, 'METHOD_NOT_ALLOWED', `The pass-through forwards ${PASSTHROUGH_METHODS.join(', ')} only.`, { headers: { allow: PASSTHROUGH_METHODS.join(', ') } })
    }
    const target = applePath(request.params['*'])
    if ('refused' in target) throw httpProblem(400, 'PASSTHROUGH_PATH_REFUSED', target.refused)
    const { server } = request.params
    const body = typeof request.body === 'string' && request.body.length > 0 ? request.body : undefined
    const guarded = guardFor(method, target.path)
    if (guarded !== undefined && 'refused' in guarded) {
      throw httpProblem(405, 'METHOD_NOT_ALLOWED', `depgate guards ${target.path}: it forwards ${guarded.refused.join(', ')} there only.`, { headers: { allow: guarded.refused.join(', ') } })
    }
    if (guarded !== undefined) {
      // Refusals are audited under the guarded action, as they are through the typed route.
      request.auditWith({ action: guarded.action })
      const answer = await runGuarded(fastify, request, server, guarded, body)
      const raw: FastifyReply = reply
      return raw.code(200).type('application/json').send(JSON.stringify(answer))
    }

    const { client } = fastify.depServers.get(server)
    const rawQuery = request.url.split('?')[1]
    const query = rawQuery === undefined ? undefined : Object.fromEntries(new URLSearchParams(rawQuery))
    const call = `${method} ${target.path}`
    const res = await fastify.auditCall(request, { action: 'apple.passthrough', server, target: `apple${target.path}`, detail: call },
      async () => await client.request(method, target.path, { query, body }),
      ({ status }) => ({ result: status < 400 ? 'ok' : `HTTP_${status}`, detail: `${call}: ${status}` }))
    // Apple's body goes out verbatim: no response schema applies, so the untyped reply is used.
    const raw: FastifyReply = reply
    return raw.code(res.status).headers(forwardableHeaders(res.headers)).send(res.body)
  })
}

export default plugin
