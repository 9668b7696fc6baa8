import type { FastifyPluginAsyncZod } from '@fastify/type-provider-zod'
import { assignBodySchema, assignResultSchema, profileParamsSchema, summarize } from '../../../../../../../src/api/profiles.js'
import { docs, errorResponses } from '../../../../../../../src/api/route-kit.js'

const DESCRIPTION = `Assigns the profile to up to 10000 serials; depgate sends them to Apple in chunks of at most 1000 (Apple's advice) and merges the answers.

Answers Apple's status per serial — \`SUCCESS\`, \`NOT_ACCESSIBLE\` (not assigned to this MDM server), \`FAILED\` (retry later), \`THROTTLED\` — and a \`summary\` with the count per status. When some serials are \`THROTTLED\`, \`retry_after_seconds\` says how long to wait before assigning those again (the longest Apple asked for across chunks).

An unknown profile answers 404 \`PROFILE_NOT_FOUND\`.`

const plugin: FastifyPluginAsyncZod = async (fastify) => {
  fastify.put('/', {
    config: { scope: 'write', audit: 'profile.assign' },
    schema: {
      ...docs('profiles', 'write', 'Assign a profile to devices', DESCRIPTION),
      params: profileParamsSchema,
      body: assignBodySchema,
      response: { 200: assignResultSchema, ...errorResponses(413, 415) }
    }
  }, async (request) => {
    const { server, uuid } = request.params
    const { serials } = request.body
    const { client } = fastify.depServers.get(server)
    request.auditWith({ target: uuid, detail: `${serials.length} serial(s)` })
    const result = await client.assignProfile(uuid, serials)
    const summary = summarize(result.devices)
    request.auditWith({ detail: `${serials.length} serial(s): ${JSON.stringify(summary)}` })
    const answer: { profile_uuid: string, devices: Record<string, string>, summary: Record<string, number>, retry_after_seconds?: number } =
      { profile_uuid: uuid, devices: result.devices, summary }
    if (result.retry_after_seconds !== undefined) answer.retry_after_seconds = Math.ceil(result.retry_after_seconds)
    return answer
  })
}

export default plugin
