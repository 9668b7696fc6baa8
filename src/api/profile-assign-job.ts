/**
 * The `assign_profile` job: a PUT …/profiles/{uuid}/devices with more than one chunk of serials,
 * or with `Prefer: respond-async`, runs here instead of inside the request. It sends Apple the
 * serials in chunks of at most 1000 (docs/apple-dep.md §2.8), one after the other, through the
 * same client call as the synchronous path; each chunk is written to the audit log as an attempt
 * before it is sent (under the key that asked), its per-serial answer is recorded as the job's
 * results, and its SUCCESSes are shown in the mirror at once (own-writes.ts).
 *
 * Resumable: a job taken over from a replica that died sends only the serials without a result.
 * The chunk in flight when the replica died may be sent again; assigning a profile a device
 * already has is harmless at Apple. A cancel takes effect between chunks.
 */
import type { FastifyInstance } from 'fastify'
import { chunkSerials } from '../dep/chunks.js'
import { JobFailure, type JobKindHandler } from '../jobs/types.js'
import { mapError } from './error-mapping.js'
import { reflectOwnWrite } from './own-writes.js'
import { summarize } from './profiles.js'

export const ASSIGN_PROFILE_KIND = 'assign_profile'

export interface AssignProfileJobInput {
  /** Apple's profile UUID (normalised, as the route validated it). */
  uuid: string
  serials: string[]
  /** The API key that asked: the audit entries of the job's calls name it. */
  keyId: string | null
}

export function assignProfileJob (fastify: FastifyInstance): JobKindHandler<AssignProfileJobInput> {
  return {
    kind: ASSIGN_PROFILE_KIND,
    async run (ctx) {
      const { uuid, serials, keyId } = ctx.input
      // Enqueued by the route with a server, always.
      const server = ctx.job.server as string
      const unique = [...new Set(serials)]
      const done = await ctx.doneSerials()
      await ctx.setTotal(unique.length)
      let count = unique.length - unique.filter((s) => !done.has(s)).length
      await ctx.progress(count)
      let retryAfter: number | undefined
      for (const chunk of chunkSerials(unique.filter((s) => !done.has(s)))) {
        ctx.signal.throwIfAborted()
        const attempt = `${chunk.length} serial(s), job ${ctx.job.id}`
        const auditId = await fastify.store.audit.attempt({ keyId, action: 'profile.assign', target: `/v1/servers/${server}/${uuid}`, server, detail: attempt, serials: chunk })
        let result
        try {
          result = await fastify.depServers.get(server).client.assignProfile(uuid, chunk)
        } catch (err) {
          const { problem } = mapError(err)
          await fastify.store.audit.finish(auditId, { result: problem.code })
          throw new JobFailure(problem.code, problem.detail)
        }
        await fastify.store.audit.finish(auditId, { result: 'ok', detail: `${attempt}: ${JSON.stringify(summarize(result.devices))}` })
        await reflectOwnWrite(fastify, server, { kind: 'assign', profileUuid: uuid }, result.devices)
        await ctx.recordResults(Object.entries(result.devices).map(([serial, status]) => ({ serial, status })))
        if (result.retry_after_seconds !== undefined) retryAfter = Math.max(retryAfter ?? 0, Math.ceil(result.retry_after_seconds))
        count += chunk.length
        await ctx.progress(count)
      }
      const summary: Record<string, unknown> = { profile_uuid: uuid, devices: await fastify.store.jobs.statusCounts(ctx.job.id) }
      if (retryAfter !== undefined) summary.retry_after_seconds = retryAfter
      return summary
    }
  }
}
