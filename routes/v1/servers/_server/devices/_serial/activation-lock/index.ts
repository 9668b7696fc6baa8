import type { FastifyPluginAsyncZod } from '@fastify/type-provider-zod'
import { APPLE_GUARDS } from '../../../../../../../src/api/apple-guards.js'
import { activationLockBodySchema, activationLockResultSchema } from '../../../../../../../src/api/device-actions.js'
import { defineRoute, errorResponses } from '../../../../../../../src/api/route-kit.js'
import { serialParamsSchema } from '../../../../../../../src/api/serials.js'

const DESCRIPTION = `Turns on Activation Lock for one device through Apple. \`escrow_key\` is the 64-hex-digit hash of the device's bypass code (not the dashed code): without it the device is locked to the person who created the MDM server in Apple Business/School Manager. \`lost_message\` is shown on the device.

Answers Apple's \`response_status\`: \`SUCCESS\`, \`NOT_ACCESSIBLE\`, \`ORG_NOT_SUPPORTED\`, \`DEVICE_NOT_SUPPORTED\`, \`DEVICE_ALREADY_LOCKED\` or \`FAILED\` — check it, a 200 does not mean the lock is on.`

const plugin: FastifyPluginAsyncZod = async (fastify) => {
  fastify.post('/', defineRoute({
    scope: 'admin',
    audit: 'device.activation_lock',
    operationId: 'enableActivationLock',
    tag: 'devices',
    summary: 'Activation Lock a device',
    description: DESCRIPTION,
    schema: {
      params: serialParamsSchema,
      body: activationLockBodySchema,
      response: { 200: activationLockResultSchema, ...errorResponses(413, 415) }
    }
  }), async (request) => await APPLE_GUARDS.activationLock.run(fastify, request, request.params.server, { serial: request.params.serial, ...request.body }))
}

export default plugin
