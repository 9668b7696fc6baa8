import type { FastifyPluginAsyncZod } from '@fastify/type-provider-zod'
import { DepCursorError } from '../../../../../../src/dep/errors.js'
import { changesQuerySchema, changesSchema } from '../../../../../../src/api/devices.js'
import { docs, errorResponses, serverParamsSchema } from '../../../../../../src/api/route-kit.js'
import { httpProblem } from '../../../../../../src/problems.js'
import type { Device } from '../../../../../../src/dep/schemas.js'

const DESCRIPTION = `What changed since a cursor: depgate drains Apple's \`/devices/sync\` from \`cursor\` through every page and answers once with \`{ changes, count, cursor, more_to_follow: false }\`.

Start with the \`cursor\` of \`GET …/devices\`; afterwards pass the \`cursor\` of the previous answer. Each change record carries \`op_type\` (\`added\`, \`modified\`, \`deleted\`) and \`op_date\`; a serial can appear more than once, and the record with the latest \`op_date\` is its current state.

Apple keeps a cursor for 7 days. When Apple refuses the cursor (\`EXPIRED_CURSOR\`, \`INVALID_CURSOR\`, \`EXHAUSTED_CURSOR\`) the answer is a 409 problem with Apple's code: start over with \`GET …/devices\` and use its new cursor.`

/** Why Apple refused the cursor, per Apple's code; every case ends in "start over with the full list". */
const CURSOR_REASONS: Record<string, string> = {
  EXPIRED_CURSOR: 'Apple no longer accepts this cursor: it is older than 7 days.',
  INVALID_CURSOR: 'Apple does not recognise this cursor.',
  EXHAUSTED_CURSOR: 'Apple says this cursor has already returned everything it will.',
  CURSOR_REQUIRED: 'Apple needs a cursor to report changes.'
}

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
    try {
      for await (const page of client.drainSync({ cursor })) {
        changes.push(...page.devices)
        last = page
      }
    } catch (err) {
      if (err instanceof DepCursorError && err.code in CURSOR_REASONS) {
        throw httpProblem(409, err.code, `${CURSOR_REASONS[err.code]} Start over with GET /v1/servers/${server}/devices and use the cursor it returns.`, { cause: err })
      }
      throw err
    }
    return { changes, count: changes.length, cursor: last.cursor, fetched_until: last.fetched_until, more_to_follow: false as const }
  })
}

export default plugin
