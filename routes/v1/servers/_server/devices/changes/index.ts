import type { FastifyReply } from 'fastify'
import type { FastifyPluginAsyncZod } from '@fastify/type-provider-zod'
import { changesQuerySchema, changesSchema } from '../../../../../../src/api/devices.js'
import { MAX_PAGE, mirrorChangesQueryFields, mirrorChangesSchema, sourceUnion } from '../../../../../../src/api/mirror.js'
import { appleHeaders, mirrorDisabled } from '../../../../../../src/api/mirror-source.js'
import { readFeed } from '../../../../../../src/api/mirror-feed.js'
import { defineRoute, errorResponses, serverParamsSchema } from '../../../../../../src/api/route-kit.js'
import { httpProblem } from '../../../../../../src/problems.js'
import type { Device } from '../../../../../../src/dep/schemas.js'

const DESCRIPTION = `What changed, in one of two ways.

**The mirror's change feed** (\`since\`): the changes depgate recorded after sequence number \`since\`, oldest first: \`{ source: "mirror", changes: [{ seq, op, serial_number, at, device }], count, next_since, last_seq, more }\`. \`op\` is \`added\` (the device appeared on this MDM server), \`modified\` or \`removed\` (Apple no longer shows it); \`device\` is the device after the change. Start with \`since=0\` (every current device) or with the \`last_seq\` of \`GET …/devices\`, then pass the \`next_since\` of each answer: nothing is repeated, and every device that changed after \`since\` comes with its latest change. The feed is compacted after each sync: a change is deleted once the same device changed again, so you see each device's latest change after your \`since\`, not necessarily every state in between, and the sequence numbers have gaps. A removal is kept at least \`DEPGATE_FEED_RETENTION_DAYS\` days (30 by default): follow the feed at least that often. \`limit\` (1 to 1000, default 1000) bounds an answer; \`more: true\` says call again at once. \`wait\` (seconds, up to 60) long-polls: when nothing is new, the answer waits until a change arrives or the time is up (then \`changes\` is empty). A \`since\` this feed cannot answer in full is refused with 409; in every case drop what you kept and start again from 0: \`SINCE_EXPIRED\` when it is older than what compaction kept (a removal after it is no longer in the feed), \`SINCE_AHEAD\` when the mirror was rebuilt (one beyond the feed's \`last_seq\`, or one from before the server was deleted and added again under the same name). A server's sequence numbers are never reused: after it is deleted and added again, the new mirror's feed goes on above the old one's (an empty answer to \`since=0\` then gives that start as \`next_since\`), so an old \`since\` is refused, never answered with only part of the new mirror.

**Apple's changes** (\`cursor\`): depgate drains Apple's \`/devices/sync\` from \`cursor\` (the \`cursor\` of \`GET …/devices?source=apple\`, then of the previous answer) and answers once with \`{ source: "apple", changes, count, cursor, more_to_follow: false }\`. Each record carries \`op_type\` (\`added\`, \`modified\`, \`deleted\`) and \`op_date\`; a serial can appear more than once, and the record with the latest \`op_date\` is its current state. Apple keeps a cursor for 7 days. When Apple refuses the cursor (\`EXPIRED_CURSOR\`, \`INVALID_CURSOR\`, \`EXHAUSTED_CURSOR\`) the answer is a 409 problem with Apple's code: start over with \`GET …/devices?source=apple\` and use its new cursor. While depgate keeps a mirror, its own sync uses Apple's cursors: prefer \`since\`.

Give one of \`since\` or \`cursor\` (400 otherwise). The \`source\` field (\`mirror\` or \`apple\`) and the \`X-Depgate-Source\` header say which one answered.`

const plugin: FastifyPluginAsyncZod = async (fastify) => {
  fastify.get('/', defineRoute({
    scope: 'read',
    operationId: 'listDeviceChanges',
    sends: ['X-Depgate-Source', 'X-Depgate-Synced-At'],
    tag: 'devices',
    summary: 'Device changes: the mirror\'s feed, or Apple\'s since a cursor',
    description: DESCRIPTION,
    schema: {
      params: serverParamsSchema,
      querystring: changesQuerySchema.extend(mirrorChangesQueryFields),
      response: { 200: sourceUnion(mirrorChangesSchema, changesSchema), ...errorResponses() }
    }
  }), async (request, reply) => {
    const { server } = request.params
    const { cursor, since, limit, wait } = request.query
    const { client } = fastify.depServers.get(server)
    const enabled = fastify.mirror.enabled
    if (cursor !== undefined && since !== undefined) {
      throw httpProblem(400, 'CURSOR_OR_SINCE', 'Pass either since= (the mirror\'s change feed) or cursor= (Apple\'s changes since a cursor), not both.')
    }
    if (since === undefined && (limit !== undefined || wait !== undefined)) {
      throw httpProblem(400, 'SINCE_REQUIRED', 'limit and wait apply to the mirror\'s change feed: pass since= with them (since=0 for everything).')
    }
    if (since !== undefined) {
      if (!enabled) throw mirrorDisabled(server)
      const raw: FastifyReply = reply
      // The mirror and its store are read per request: tests replace their methods on the built app.
      const feed = { reads: fastify.store.mirror, waitForChange: fastify.mirror.waitForChange.bind(fastify.mirror) }
      return raw.type('application/json; charset=utf-8').send(await readFeed(feed, { server, since, limit: limit ?? MAX_PAGE, waitSeconds: wait ?? 0 }, raw))
    }
    if (cursor === undefined) {
      throw enabled
        ? httpProblem(400, 'SINCE_REQUIRED', `Pass ?since=0 to read depgate's change feed from the start (then the next_since of each answer), or ?cursor= with a cursor of GET /v1/servers/${server}/devices?source=apple.`)
        : httpProblem(400, 'CURSOR_REQUIRED', `Pass ?cursor= with the cursor returned by GET /v1/servers/${server}/devices (or by the previous call here).`)
    }
    appleHeaders(reply)
    const changes: Device[] = []
    let last: { cursor: string, fetched_until?: string } = { cursor }
    // Apple's cursor refusals become 409 problems in the central mapping (src/api/error-mapping.ts).
    for await (const page of client.drainSync({ cursor })) {
      changes.push(...page.devices)
      last = page
    }
    return { source: 'apple' as const, changes, count: changes.length, cursor: last.cursor, fetched_until: last.fetched_until, more_to_follow: false as const }
  })
}

export default plugin
