import type { FastifyPluginAsyncZod } from '@fastify/type-provider-zod'
import { mirrorSummarySchema } from '../../../../../../src/api/mirror.js'
import { mirrorHeaders, requireMirror } from '../../../../../../src/api/mirror-source.js'
import { defineRoute, serverParamsSchema } from '../../../../../../src/api/route-kit.js'
import { problemResponses } from '../../../../../../src/problems.js'
import { PROBLEM_GROUPS } from '../../../../../../src/problem-codes.js'

const DESCRIPTION = `Device counts for dashboards, from depgate's mirror (no call to Apple): how many devices this MDM server has now (\`total\`), by \`device_family\`, \`model\`, \`os\` and \`profile_status\` (\`(none)\` counts devices without the field), and how many have left it (\`removed\`).

\`synced_at\` (also the \`X-Depgate-Synced-At\` header) says when the mirror last synced with Apple. While the mirror's first full fetch runs the answer is 503 \`INVENTORY_NOT_READY\` (with Retry-After); with the mirror switched off (DEPGATE_INVENTORY=false), 409 \`INVENTORY_DISABLED\`.`

const plugin: FastifyPluginAsyncZod = async (fastify) => {
  fastify.get('/', defineRoute({
    scope: 'read',
    problems: ['SERVER_NOT_FOUND', ...PROBLEM_GROUPS.mirror],
    operationId: 'getDeviceSummary',
    sends: ['X-Depgate-Source', 'X-Depgate-Synced-At'],
    tag: 'devices',
    summary: 'Device counts',
    description: DESCRIPTION,
    schema: {
      params: serverParamsSchema,
      // Counted from the mirror, never from Apple: none of the Apple-facing statuses (502, 504) apply.
      response: { 200: mirrorSummarySchema, ...problemResponses(404, 409) }
    }
  }), async (request, reply) => {
    const { server } = request.params
    fastify.depServers.get(server)
    const enabled = fastify.mirror.enabled
    const state = enabled ? await fastify.store.mirror.state(server) : undefined
    const ready = requireMirror(enabled, server, state)
    mirrorHeaders(reply, ready)
    return { ...await fastify.store.mirror.summary(server), synced_at: ready.last_success_at, last_seq: ready.last_seq }
  })
}

export default plugin
