import type { FastifyPluginAsyncZod } from '@fastify/type-provider-zod'
import { changesQuerySchema, changesSchema } from '../../../../../../src/api/devices.js'
import { docs, errorResponses, serverParamsSchema } from '../../../../../../src/api/route-kit.js'
import { httpProblem } from '../../../../../../src/problems.js'
import type { Device } from '../../../../../../src/dep/schemas.js'

const DESCRIPTION = `What changed since a cursor: depgate drains Apple's \`/devices/sync\` from \`cursor\` through every page and answers once with \`{ changes, count, cursor, more_to_follow: false }\`.

Start with the \`cursor\` of \`GET …/devices\`; afterwards pass the \`cursor\` of the previous answer. Each change record carries \`op_type\` (\`added\`, \`modified\`, \`deleted\`) and \`op_date\`; a serial can appear more than once, and the record with the latest \`op_date\` is its current state.

Apple keeps a cursor for 7 days. When Apple refuses the cursor (\`EXPIRED_CURSOR\`, \`INVALID_CURSOR\`, \`EXHAUSTED_CURSOR\`) the answer is a 409 problem with Apple's code: start over with \`GET …/devices\` and use its new cursor.`

const plugin: FastifyPluginAsyncZod = async (fastify) => {
  fastify.get('/', {
    config: { scope: 'read' },
    schema: {
      ...docs('devices', 'read', 'Device changes since a cursor', DESCRIPTION),
      params: serverParamsSchema,
      querystring: changesQuerySchema,
      response: { 200: changesSchema, ...errorResponses() }
    }
  }, async (request) => {
    const { server } = request.params
    const { cursor } = request.query
    if (cursor === undefined) {
      throw httpProblem(400, 'CURSOR_REQUIRED', `Pass ?cursor= with the cursor returned by GET /v1/servers/${server}/devices (or by the previous call here).`)
    }
    const { client } = fastify.depServers.get(server)
    const changes: Device[] = []
    let last: { cursor: string, fetched_until?: string } = { cursor }
    // Apple's cursor refusals become 409 problems in the central mapping (plugins/app/error-mapping.ts).
    for await (const page of client.drainSync({ cursor })) {
      changes.push(...page.devices)
      last = page
    }
    return { changes, count: changes.length, cursor: last.cursor, fetched_until: last.fetched_until, more_to_follow: false as const }
  })
}

export default plugin
