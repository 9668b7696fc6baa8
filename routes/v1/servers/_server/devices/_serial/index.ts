import type { FastifyPluginAsyncZod } from '@fastify/type-provider-zod'
import { deviceDetailSchema } from '../../../../../../src/api/devices.js'
import { docs, errorResponses } from '../../../../../../src/api/route-kit.js'
import { serialParamsSchema } from '../../../../../../src/api/serials.js'
import { httpProblem } from '../../../../../../src/problems.js'

const DESCRIPTION = `Apple's details for one device (its \`response_status\` included). The serial is case-insensitive.

A serial Apple does not show to this MDM server answers 404 \`DEVICE_NOT_ACCESSIBLE\`: the device is not assigned to this MDM server in Apple Business/School Manager (or the serial is mistyped). A serial that is not 8 to 14 letters or digits answers 400 without calling Apple.`

const plugin: FastifyPluginAsyncZod = async (fastify) => {
  fastify.get('/', {
    config: { scope: 'read' },
    schema: {
      ...docs('devices', 'read', 'One device', DESCRIPTION),
      params: serialParamsSchema,
      response: { 200: deviceDetailSchema, ...errorResponses() }
    }
  }, async (request) => {
    const { server, serial } = request.params
    const { client } = fastify.depServers.get(server)
    const found = await client.getDeviceDetails([serial])
    const device = found[serial]
    if (device === undefined || device.response_status === 'NOT_ACCESSIBLE') {
      throw httpProblem(404, 'DEVICE_NOT_ACCESSIBLE', `Device ${serial} is not assigned to this MDM server ("${server}") in Apple Business Manager or Apple School Manager, or the serial number is wrong. Assign it to this server in the portal, then try again.`)
    }
    return { serial_number: serial, ...device }
  })
}

export default plugin
