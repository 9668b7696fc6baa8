import type { FastifyPluginAsyncZod } from '@fastify/type-provider-zod'
import { mirrorStatusSchema, syncQuerySchema } from '../../../../../src/api/mirror-status.js'
import { mirrorDisabled } from '../../../../../src/api/mirror-source.js'
import { defineRoute, errorResponses, serverParamsSchema } from '../../../../../src/api/route-kit.js'

const DESCRIPTION = `Asks depgate to sync its device mirror of this server with Apple now, instead of at the next interval (DEPGATE_SYNC_INTERVAL). \`full=true\` fetches every device again instead of following Apple's changes: use it when the mirror seems wrong; devices the fetch does not see are then marked removed.

Without \`wait\` the answer is 202 at once: the sync is requested, and the depgate replica that syncs this server runs it shortly (\`sync_requested_at\` in the status is set until then). With \`wait=true\` the answer comes when the sync has run, 200 with the status after it (\`last_success_at\`, or \`last_error\` when Apple failed); when another replica syncs this server the request is recorded and the answer is 202.

Answers the mirror's status (the \`inventory\` object of \`GET /v1/servers\`). With the mirror switched off (DEPGATE_INVENTORY=false), 409 \`INVENTORY_DISABLED\`.`

const plugin: FastifyPluginAsyncZod = async (fastify) => {
  fastify.post('/', defineRoute({
    scope: 'write',
    audit: 'inventory.sync',
    tag: 'devices',
    summary: 'Sync the device mirror now',
    description: DESCRIPTION,
    schema: {
      params: serverParamsSchema,
      querystring: syncQuerySchema,
      response: { 200: mirrorStatusSchema, 202: mirrorStatusSchema, ...errorResponses() }
    }
  }), async (request, reply) => {
    const { server } = request.params
    const { full, wait } = request.query
    fastify.depServers.get(server)
    if (!fastify.mirror.enabled) throw mirrorDisabled(server)
    request.auditWith({ detail: `${full ? 'full' : 'incremental'}${wait ? ', waited' : ''}` })
    const status = await fastify.mirror.requestSync(server, { full, wait })
    // Ran: waited for, and the request served (a replica that does not lead only records it).
    const ran = wait && status.sync_requested_at === null
    return reply.code(ran ? 200 : 202).send(status)
  })
}

export default plugin
