import type { FastifyPluginAsyncZod } from '@fastify/type-provider-zod'
import { mirrorStatusSchema, syncQuerySchema } from '../../../../../src/api/mirror-status.js'
import { mirrorDisabled } from '../../../../../src/api/mirror-source.js'
import { defineRoute, errorResponses, serverParamsSchema } from '../../../../../src/api/route-kit.js'
import { serverPath } from '../../../../../src/api/server-info.js'
import { httpProblem } from '../../../../../src/problems.js'

const DESCRIPTION = `Asks depgate to sync its device mirror of this server with Apple now, instead of at the next interval (DEPGATE_SYNC_INTERVAL). \`full=true\` fetches every device again instead of following Apple's changes: use it when the mirror seems wrong; devices the fetch does not see are then marked removed.

Without \`wait\` the answer is 202 at once: the sync is requested, and the depgate replica that syncs this server runs it shortly (\`sync_requested_at\` in the status is set until then; its Location, \`GET /v1/servers/{server}\`, shows in \`inventory\` when the sync ran and how it ended). With \`wait=true\` the answer comes when the sync has run: 200 with the status after it when it succeeded; when it failed, the run's own problem (\`last_error\`'s code, sentence and status: 502 or 503 when Apple failed, Apple's mapped 4xx such as 403 \`T_C_NOT_SIGNED\`), never a 2xx, so \`curl -f\` notices; when another replica syncs this server and has not run it within a minute, 202.

A full fetch re-reads every device from Apple, so one starts at most every DEPGATE_FULL_SYNC_MIN_INTERVAL (default 10 minutes, counted from the last full fetch's start): \`full=true\` sooner answers 429 \`FULL_SYNC_TOO_SOON\` with Retry-After (the seconds left), unless a full fetch is already requested and not yet started (the request joins it). An admin key may pass \`force=true\` to start one anyway; a write key that does gets 403. Requests arriving while a sync is requested or running are merged: they cause at most one more run, never one each.

Answers the mirror's status (the \`inventory\` object of \`GET /v1/servers\`). With the mirror switched off (DEPGATE_INVENTORY=false), 409 \`INVENTORY_DISABLED\`.`

const plugin: FastifyPluginAsyncZod = async (fastify) => {
  fastify.post('/', defineRoute({
    scope: 'write',
    audit: 'inventory.sync',
    sends: ['Location'],
    operationId: 'syncServer',
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
    const { full, wait, force } = request.query
    fastify.depServers.get(server)
    if (!fastify.mirror.enabled) throw mirrorDisabled(server)
    if (force && request.auth?.scope !== 'admin') {
      throw httpProblem(403, 'INSUFFICIENT_SCOPE', 'force=true needs a key with the "admin" scope: it lets a full fetch of every device skip DEPGATE_FULL_SYNC_MIN_INTERVAL.')
    }
    if (full && !force) {
      const seconds = await fastify.mirror.fullSyncWaitSeconds(server)
      if (seconds > 0) {
        throw httpProblem(429, 'FULL_SYNC_TOO_SOON', `A full fetch of server "${server}" started less than DEPGATE_FULL_SYNC_MIN_INTERVAL ago; try again in ${seconds} seconds, or sync without full=true to get Apple's changes now.`, { retryAfterSeconds: seconds })
      }
    }
    request.auditWith({ detail: `${full ? 'full' : 'incremental'}${wait ? ', waited' : ''}${force ? ', forced' : ''}` })
    const { status, outcome } = await fastify.mirror.syncNow(server, { full, wait })
    if (outcome === 'failed' && status.last_error !== null) {
      const { status: code, code: problem, message } = status.last_error
      throw httpProblem(code, problem, `The sync of server "${server}" failed: ${message}`)
    }
    // 202: the sync's outcome shows in the server's `inventory` (its last sync, last error) once it ran.
    if (outcome !== 'ran') reply.header('location', serverPath(server))
    return reply.code(outcome === 'ran' ? 200 : 202).send(status)
  })
}

export default plugin
