import type { FastifyPluginAsyncZod } from '@fastify/type-provider-zod'
import { disownBodySchema, disownConfirmation, disownResultSchema, MAX_DISOWN } from '../../../../../../src/api/device-actions.js'
import { reflectOwnWrite } from '../../../../../../src/api/own-writes.js'
import { perSerialWrite } from '../../../../../../src/api/per-serial.js'
import { defineRoute, errorResponses, serverParamsSchema } from '../../../../../../src/api/route-kit.js'
import { httpProblem } from '../../../../../../src/problems.js'

const DESCRIPTION = `**Irreversible.** Disowning removes devices from your organisation in Apple Business/School Manager for good; they cannot be assigned again by you.

Off by default: answers 403 \`DISOWN_DISABLED\` unless depgate runs with \`DEPGATE_ALLOW_DISOWN=true\`.

The body must repeat what you mean in \`confirm\`: exactly \`DISOWN <n> DEVICES FROM <server>\` (\`DEVICE\` when n is 1), where n is the number of serials and server the name in the URL, e.g. \`{"serials": ["C02XK1ABCDEF", "DMPXK2ABCDEF"], "confirm": "DISOWN 2 DEVICES FROM default"}\`. Anything else — a different count, another server, lower case — is refused with 400 \`DISOWN_CONFIRMATION_MISMATCH\` before Apple is called. At most ${MAX_DISOWN} distinct serials per call.

Answers Apple's status per serial and a \`summary\` with the count per status.`

const plugin: FastifyPluginAsyncZod = async (fastify) => {
  fastify.post('/', defineRoute({
    scope: 'admin',
    audit: 'devices.disown',
    tag: 'devices',
    summary: 'Disown devices (irreversible, off by default)',
    description: DESCRIPTION,
    schema: {
      params: serverParamsSchema,
      body: disownBodySchema,
      response: { 200: disownResultSchema, ...errorResponses(413, 415) }
    }
  }), async (request) => {
    const { server } = request.params
    if (!fastify.config.allowDisown) {
      throw httpProblem(403, 'DISOWN_DISABLED', 'Disowning devices is turned off on this depgate. An operator can enable it with DEPGATE_ALLOW_DISOWN=true; it cannot be undone.')
    }
    const { serials, confirm } = request.body
    const expected = disownConfirmation(serials.length, server)
    if (confirm !== expected) {
      throw httpProblem(400, 'DISOWN_CONFIRMATION_MISMATCH', `To disown these ${serials.length} serial(s) from "${server}", set confirm to exactly "${expected}". Nothing was disowned.`)
    }
    const { client } = fastify.depServers.get(server)
    // Irreversible: the audit entry names every serial, even when Apple's answer never arrives.
    const named = `serials ${serials.join(',')}`
    const { devices, summary } = await perSerialWrite(request, named, async () => ({ devices: await client.disownDevices(serials) }), (s) => `${s} ${named}`)
    await reflectOwnWrite(fastify, server, { kind: 'disown' }, devices)
    return { devices, summary }
  })
}

export default plugin
