import type { FastifyPluginAsyncZod } from '@fastify/type-provider-zod'
import { replacementSchema } from '../../../../../../../src/api/device-actions.js'
import { defineRoute, errorResponses, withNotFoundProblem } from '../../../../../../../src/api/route-kit.js'
import { serialParamsSchema } from '../../../../../../../src/api/serials.js'

const DESCRIPTION = `For a device Apple replaced (its \`is_replacement_device\` is true): the serial of the original device and the replacement date.

A device that is not a replacement, or that Apple does not know, answers 404 \`DEVICE_NOT_FOUND\` (Apple says 404 in its documentation and sends 400 in practice; both become 404 here).`

const plugin: FastifyPluginAsyncZod = async (fastify) => {
  fastify.get('/', defineRoute({
    scope: 'read',
    operationId: 'getDeviceReplacement',
    tag: 'devices',
    summary: 'Replacement details of a device',
    description: DESCRIPTION,
    schema: {
      params: serialParamsSchema,
      response: { 200: replacementSchema, ...errorResponses() }
    }
  }), async (request) => {
    const { server, serial } = request.params
    const { client } = fastify.depServers.get(server)
    return await withNotFoundProblem(client.getReplacementDetails(serial), 'DEVICE_NOT_FOUND', 'DEVICE_NOT_FOUND', `Apple has no replacement record for ${serial}: it is not a replacement device, or not known to this MDM server.`)
  })
}

export default plugin
