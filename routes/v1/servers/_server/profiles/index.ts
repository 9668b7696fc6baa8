import type { FastifyPluginAsyncZod } from '@fastify/type-provider-zod'
import { reflectOwnWrite } from '../../../../../src/api/own-writes.js'
import { defineProfileResultSchema, profileInputSchema } from '../../../../../src/api/profiles.js'
import { defineRoute, errorResponses, serverParamsSchema } from '../../../../../src/api/route-kit.js'
import { validateProfile } from '../../../../../src/dep/profile-rules.js'
import { profileUrlViolation } from '../../../../../src/api/url-policy.js'
import { httpProblem } from '../../../../../src/problems.js'

const DESCRIPTION = `Defines an enrollment profile at Apple and answers its \`profile_uuid\`; with \`devices\` (at most 1000 serials) it is assigned to them at once, with Apple's status per serial.

The profile is checked against Apple's rules before anything is sent, and a violation answers 400 with Apple's own code and the field, e.g. \`CONFIG_NAME_REQUIRED\` (profile_name missing), \`CONFIG_URL_INVALID\` (url not an absolute URL of at most 2000 characters), \`FLAGS_INVALID\` (is_mdm_removable false without is_supervised true), \`LOCALE_INVALID\`, \`DEPARTMENT_INVALID\`, \`MAGIC_INVALID\`, \`SUPPORT_EMAIL_INVALID\`, \`SUPPORT_PHONE_INVALID\`. depgate also refuses a \`url\` or \`configuration_web_url\` that is not https: (\`PROFILE_URL_NOT_HTTPS\`; http: only for a loopback simulator address), is not a URL (\`PROFILE_URL_INVALID\`) or carries user:password@ (\`URL_HAS_CREDENTIALS\`). Unknown fields are refused, so a misspelt flag is not silently ignored.

Apple keeps every profile; there is no way to list or delete them, so keep the returned \`profile_uuid\`.`

const plugin: FastifyPluginAsyncZod = async (fastify) => {
  fastify.post('/', defineRoute({
    scope: 'write',
    audit: 'profile.define',
    tag: 'profiles',
    summary: 'Define a profile',
    description: DESCRIPTION,
    schema: {
      params: serverParamsSchema,
      body: profileInputSchema,
      response: { 200: defineProfileResultSchema, ...errorResponses(413, 415) }
    }
  }), async (request) => {
    const { server } = request.params
    const violation = validateProfile(request.body)
    if (violation !== undefined) {
      throw httpProblem(400, violation.code, `The profile breaks Apple's rules: ${violation.message}.`, { errors: [{ field: `body.${violation.field}`, message: violation.message }] })
    }
    const urlViolation = profileUrlViolation(request.body)
    if (urlViolation !== undefined) {
      throw httpProblem(400, urlViolation.code, `The profile cannot be sent: ${urlViolation.message}.`, { errors: [{ field: `body.${urlViolation.field}`, message: urlViolation.message }] })
    }
    const { client } = fastify.depServers.get(server)
    // validateProfile guarantees profile_name and url are present strings.
    const result = await client.defineProfile(request.body as typeof request.body & { profile_name: string, url: string })
    request.auditWith({ target: result.profile_uuid, detail: `profile_name ${JSON.stringify(request.body.profile_name)}, ${request.body.devices?.length ?? 0} serial(s)` })
    await reflectOwnWrite(fastify, server, { kind: 'assign', profileUuid: result.profile_uuid }, result.devices)
    return result
  })
}

export default plugin
