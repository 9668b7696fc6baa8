import type { FastifyPluginAsyncZod } from '@fastify/type-provider-zod'
import { deviceDetailsBodySchema, deviceDetailsSchema } from '../../../../../../src/api/devices.js'
import { defineRoute, errorResponses, serverParamsSchema } from '../../../../../../src/api/route-kit.js'

const DESCRIPTION = `Apple's device details for up to 10000 serial numbers in one call; depgate sends them to Apple in chunks and merges the answers.

Serials are 8 to 14 ASCII letters or digits, case-insensitive (upper-cased before they are sent); each may appear once. Anything else — spaces, punctuation, control characters, non-ASCII — is refused with 400 before Apple is called.

Each serial gets an entry keyed by its upper-cased form. A serial Apple does not show to this MDM server has only \`response_status: "NOT_ACCESSIBLE"\`: it is not assigned to this server in Apple Business/School Manager.`

const plugin: FastifyPluginAsyncZod = async (fastify) => {
  fastify.post('/', defineRoute({
    // A read: the serials travel in a body only because there can be 10000 of them.
    scope: 'read',
    audit: false,
    operationId: 'getDeviceDetails',
    tag: 'devices',
    summary: 'Device details for many serials',
    description: DESCRIPTION,
    schema: {
      params: serverParamsSchema,
      body: deviceDetailsBodySchema,
      response: { 200: deviceDetailsSchema, ...errorResponses(413, 415) }
    }
  }), async (request) => {
    const { client } = fastify.depServers.get(request.params.server)
    const devices = await client.getDeviceDetails(request.body.serials)
    return { devices, count: Object.keys(devices).length }
  })
}

export default plugin
