import type { FastifyPluginAsyncZod } from '@fastify/type-provider-zod'
import { APPLE_GUARDS } from '../../../../../../../src/api/apple-guards.js'
import { jobSchema, jobView } from '../../../../../../../src/api/jobs.js'
import { ASSIGN_PROFILE_KIND, type AssignProfileJobInput } from '../../../../../../../src/api/profile-assign-job.js'
import { assignBodySchema, assignResultSchema, profileParamsSchema } from '../../../../../../../src/api/profiles.js'
import { defineRoute, errorResponses } from '../../../../../../../src/api/route-kit.js'
import { MAX_CHUNK } from '../../../../../../../src/dep/chunks.js'

const DESCRIPTION = `Assigns the profile to up to 10000 serials; depgate sends them to Apple in chunks of at most 1000 (Apple's advice) and merges the answers.

Answers Apple's status per serial — \`SUCCESS\`, \`NOT_ACCESSIBLE\` (not assigned to this MDM server), \`FAILED\` (retry later), \`THROTTLED\` — and a \`summary\` with the count per status. When some serials are \`THROTTLED\`, \`retry_after_seconds\` says how long to wait before assigning those again (the longest Apple asked for across chunks).

**As a job.** More than 1000 serials, or the header \`Prefer: respond-async\` (RFC 7240), make it a job: the answer is 202 at once, with the job and \`Location: /v1/jobs/{id}\` (and \`Preference-Applied: respond-async\` when asked). GET the job for its progress; when it has \`succeeded\` its \`summary\` has the count per status, and \`/v1/jobs/{id}/results\` has each serial's. An unknown profile then fails the job with \`PROFILE_NOT_FOUND\`.

An unknown profile answers 404 \`PROFILE_NOT_FOUND\`.`

/** RFC 7240: `Prefer` holds comma-separated preferences, each a token and optional parameters; names are case-insensitive. */
function prefersAsync (header: string | string[] | undefined): boolean {
  return [header ?? []].flat().join(',').split(',').some((p) => p.split(';')[0].trim().toLowerCase() === 'respond-async')
}

const plugin: FastifyPluginAsyncZod = async (fastify) => {
  fastify.put('/', defineRoute({
    scope: 'write',
    problems: ['PROFILE_NOT_FOUND', 'PROFILE_UUID_REQUIRED', 'DEVICE_ID_REQUIRED'],
    audit: 'profile.assign',
    sends: ['Location', 'Preference-Applied'],
    operationId: 'assignProfile',
    tag: 'profiles',
    summary: 'Assign a profile to devices',
    description: DESCRIPTION,
    schema: {
      params: profileParamsSchema,
      body: assignBodySchema,
      response: { 200: assignResultSchema, 202: jobSchema.describe('The job that assigns the profile'), ...errorResponses(413, 415) }
    }
  }), async (request, reply) => {
    const { server, uuid } = request.params
    const { serials } = request.body
    const asked = prefersAsync(request.headers.prefer)
    if (!asked && serials.length <= MAX_CHUNK) return await APPLE_GUARDS.assign.run(fastify, request, server, { uuid, serials })
    // An unknown server answers 404 now, not as a failed job.
    fastify.depServers.get(server)
    // The job's audit entries name the key as this request's would (a write route always has one).
    const { keyId } = fastify.auditRow(request, { action: 'profile.assign', target: null })
    const input: AssignProfileJobInput = { uuid, serials, keyId }
    const job = await fastify.jobs.enqueue({ kind: ASSIGN_PROFILE_KIND, server, input, total: serials.length })
    request.auditWith({ target: `/v1/servers/${server}/${uuid}`, detail: `job ${job.id}: ${serials.length} serial(s)` })
    reply.code(202).header('location', `/v1/jobs/${job.id}`)
    if (asked) reply.header('preference-applied', 'respond-async')
    return jobView(job)
  })
}

export default plugin
