import type { FastifyPluginAsyncZod } from '@fastify/type-provider-zod'
import { APPLE_GUARDS } from '../../../../../src/api/apple-guards.js'
import { defineProfileResultSchema, profileInputSchema } from '../../../../../src/api/profiles.js'
import { defineRoute, errorResponses, serverParamsSchema } from '../../../../../src/api/route-kit.js'

const DESCRIPTION = `Defines an enrollment profile at Apple and answers its \`profile_uuid\`; with \`devices\` (at most 1000 serials) it is assigned to them at once, with Apple's status per serial.

The profile is checked against Apple's rules before anything is sent, and a violation answers 400 with Apple's own code and the field, e.g. \`CONFIG_NAME_REQUIRED\` (profile_name missing), \`CONFIG_URL_INVALID\` (url not an absolute URL of at most 2000 characters), \`FLAGS_INVALID\` (is_mdm_removable false without is_supervised true), \`LOCALE_INVALID\`, \`DEPARTMENT_INVALID\`, \`MAGIC_INVALID\`, \`SUPPORT_EMAIL_INVALID\`, \`SUPPORT_PHONE_INVALID\`. Unknown fields are refused, so a misspelt flag is not silently ignored.

Apple keeps every profile; there is no way to list or delete them, so keep the returned \`profile_uuid\`.`

const plugin: FastifyPluginAsyncZod = async (fastify) => {
  fastify.post('/', defineRoute({
    scope: 'write',
    audit: 'profile.define',
    operationId: 'defineProfile',
    tag: 'profiles',
    summary: 'Define a profile',
    description: DESCRIPTION,
    schema: {
      params: serverParamsSchema,
      body: profileInputSchema,
      response: { 200: defineProfileResultSchema, ...errorResponses(413, 415) }
    }
  }), async (request) => await APPLE_GUARDS.define.run(fastify, request, request.params.server, request.body))
}

export default plugin
