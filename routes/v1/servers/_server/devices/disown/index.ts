import type { FastifyPluginAsyncZod } from '@fastify/type-provider-zod'
import { APPLE_GUARDS } from '../../../../../../src/api/apple-guards.js'
import { disownBodySchema, disownResultSchema, MAX_DISOWN } from '../../../../../../src/api/device-actions.js'
import { defineRoute, errorResponses, serverParamsSchema } from '../../../../../../src/api/route-kit.js'

const DESCRIPTION = `**Irreversible.** Disowning removes devices from your organisation in Apple Business/School Manager for good; they cannot be assigned again by you.

Off by default: answers 403 \`DISOWN_DISABLED\` unless depgate runs with \`DEPGATE_ALLOW_DISOWN=true\`.

The body must repeat what you mean in \`confirm\`: exactly \`DISOWN <n> DEVICES FROM <server>\` (\`DEVICE\` when n is 1), where n is the number of serials and server the name in the URL, e.g. \`{"serials": ["C02XK1ABCDEF", "DMPXK2ABCDEF"], "confirm": "DISOWN 2 DEVICES FROM default"}\`. Anything else — a different count, another server, lower case — is refused with 400 \`DISOWN_CONFIRMATION_MISMATCH\` before Apple is called. At most ${MAX_DISOWN} distinct serials per call.

Answers Apple's status per serial and a \`summary\` with the count per status.`

const plugin: FastifyPluginAsyncZod = async (fastify) => {
  fastify.post('/', defineRoute({
    scope: 'admin',
    audit: 'devices.disown',
    operationId: 'disownDevices',
    tag: 'devices',
    summary: 'Disown devices (irreversible, off by default)',
    description: DESCRIPTION,
    schema: {
      params: serverParamsSchema,
      body: disownBodySchema,
      response: { 200: disownResultSchema, ...errorResponses(413, 415) }
    }
  }), async (request) => await APPLE_GUARDS.disown.run(fastify, request, request.params.server, request.body))
}

export default plugin
