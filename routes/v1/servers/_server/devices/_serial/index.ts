import type { FastifyInstance, FastifyReply } from 'fastify'
import type { FastifyPluginAsyncZod } from '@fastify/type-provider-zod'
import { z } from 'zod'
import { deviceFromAppleSchema, deviceFromMirrorSchema, sourceSchema, sourceUnion } from '../../../../../../src/api/mirror.js'
import { deviceAnswerText } from '../../../../../../src/api/mirror-stream.js'
import { appleHeaders, mirrorHeaders, type SourceChoice, useMirror } from '../../../../../../src/api/mirror-source.js'
import { defineRoute, errorResponses } from '../../../../../../src/api/route-kit.js'
import { serialParamsSchema } from '../../../../../../src/api/serials.js'
import type { DepServer } from '../../../../../../src/servers/types.js'
import type { DeviceLookup } from '../../../../../../src/store/mirror-reads.js'
import { httpProblem } from '../../../../../../src/problems.js'
import { PROBLEM_GROUPS } from '../../../../../../src/problem-codes.js'
import { readDeviceOrg, withOrgText } from '../../../../../../src/api/device-org.js'
import type { OrgLink } from '../../../../../../src/store/index.js'

const DESCRIPTION = `One device. The serial is case-insensitive; a serial that is not 8 to 14 letters or digits answers 400 without looking anywhere.

Answered from depgate's **mirror** once its first full fetch has completed (\`X-Depgate-Source: mirror\`, and \`X-Depgate-Synced-At\`: when the mirror last synced with Apple): the device as Apple last described it, with \`source: "mirror"\`. A serial the mirror does not have, or that has left this MDM server, answers 404 \`DEVICE_NOT_FOUND\`.

With \`source=apple\` (and always while the mirror is not ready or switched off) depgate asks **Apple** for the device's details (\`X-Depgate-Source: apple\`, \`source: "apple"\`; Apple adds \`response_status\`). A serial Apple does not show to this MDM server answers 404 \`DEVICE_NOT_ACCESSIBLE\`: the device is not assigned to this MDM server in Apple Business/School Manager (or the serial is mistyped).

On a server linked to its org (the server's \`org\`, set with PATCH /v1/servers/{server}), either answer carries \`org\`: the device as the **org mirror** holds it (order number and date, purchase source, the MDM server it is assigned to and whether that is this server, the AppleCare end, when the org mirror last refreshed), read from depgate's org mirror, never from Apple; \`null\` when the org mirror does not hold the device.`

const JSON_TYPE = 'application/json; charset=utf-8'

const plugin: FastifyPluginAsyncZod = async (fastify) => {
  fastify.get('/', defineRoute({
    scope: 'read',
    problems: [...PROBLEM_GROUPS.mirror, 'DEVICE_NOT_FOUND', 'DEVICE_NOT_ACCESSIBLE'],
    operationId: 'getDevice',
    sends: ['X-Depgate-Source', 'X-Depgate-Synced-At'],
    tag: 'devices',
    summary: 'One device',
    description: DESCRIPTION,
    schema: {
      params: serialParamsSchema,
      querystring: z.object({ source: sourceSchema.optional() }),
      response: { 200: sourceUnion(deviceFromMirrorSchema, deviceFromAppleSchema), ...errorResponses() }
    }
  }), (request, reply) => {
    const { server, serial } = request.params
    const { source } = request.query
    const dep = fastify.depServers.get(server) // an unknown server answers 404 here, whatever the source
    const enabled = fastify.mirror.enabled
    const link = dep.orgLink
    if (!enabled || source === 'apple') return askApple(reply, dep, serial, link === undefined ? undefined : fastify)
    const choice = { enabled, server, source, needsMirror: false }
    if (link !== undefined) return answerJoined(fastify, reply, choice, dep, serial, link)
    const mirror = fastify.store.mirror
    // The hot path on SQLite: a synchronous lookup and a synchronous answer, no promise at all.
    if (mirror.getDeviceNow !== undefined) {
      return answerFromMirror(reply, choice, serial, mirror.getDeviceNow(server, serial)) ? undefined : askApple(reply, dep, serial)
    }
    return mirror.getDevice(server, serial).then((found) => answerFromMirror(reply, choice, serial, found) ? undefined : askApple(reply, dep, serial))
  })
}

/** Sends the mirror's answer and returns true; false when Apple must answer instead (the mirror is not ready). */
function answerFromMirror (reply: FastifyReply, choice: SourceChoice, serial: string, found: DeviceLookup | undefined): boolean {
  if (!useMirror(choice, found)) return false
  // The stored record is JSON text: sent as is, with no serializer in between.
  reply.type(JSON_TYPE).send(deviceAnswerText(mirrorRecord(reply, choice.server, serial, found)))
  return true
}

/** A linked server's device: the mirror's record (or Apple's answer) with the org mirror's view of it. */
async function answerJoined (fastify: FastifyInstance, reply: FastifyReply, choice: SourceChoice, dep: DepServer, serial: string, link: OrgLink): Promise<z.infer<typeof deviceFromAppleSchema> | undefined> {
  const found = await fastify.store.mirror.getDevice(choice.server, serial)
  if (!useMirror(choice, found)) return await askApple(reply, dep, serial, fastify)
  const record = mirrorRecord(reply, choice.server, serial, found)
  const org = await readDeviceOrg(fastify.store, link, serial)
  reply.type(JSON_TYPE).send(deviceAnswerText(withOrgText(record, org)))
  return undefined
}

/** The mirror's record of a device the server holds (its headers set), or the 404 saying why not. */
function mirrorRecord (reply: FastifyReply, server: string, serial: string, found: DeviceLookup): string {
  if (found.device === undefined || found.device.removed_at !== null) {
    const left = found.device?.removed_at
    throw httpProblem(404, 'DEVICE_NOT_FOUND', left == null
      ? `Device ${serial} is not in depgate's mirror of server "${server}": Apple did not show it to this MDM server at the last sync. Check the serial, and that the device is assigned to this server in Apple Business Manager or Apple School Manager; source=apple asks Apple now.`
      : `Device ${serial} left server "${server}" at ${left}: Apple no longer shows it to this MDM server (unassigned or released in Apple Business Manager or Apple School Manager). GET …/devices?removed=only lists such devices.`)
  }
  mirrorHeaders(reply, found)
  return found.device.record
}

/** Apple's answer; with `joined` (a server linked to its org), the org mirror's view of the device too. */
async function askApple (reply: FastifyReply, dep: DepServer, serial: string, joined?: FastifyInstance): Promise<z.infer<typeof deviceFromAppleSchema>> {
  appleHeaders(reply)
  const server = dep.name
  const details = await dep.client.getDeviceDetails([serial])
  const device = details[serial]
  if (device === undefined || device.response_status === 'NOT_ACCESSIBLE') {
    throw httpProblem(404, 'DEVICE_NOT_ACCESSIBLE', `Device ${serial} is not assigned to this MDM server ("${server}") in Apple Business Manager or Apple School Manager, or the serial number is wrong. Assign it to this server in the portal, then try again.`)
  }
  const link = dep.orgLink
  // `source` last: it is depgate's word on where the answer came from, whatever Apple's record holds.
  if (joined === undefined || link === undefined) return { serial_number: serial, ...device, source: 'apple' }
  return { serial_number: serial, ...device, org: await readDeviceOrg(joined.store, link, serial), source: 'apple' }
}

export default plugin
