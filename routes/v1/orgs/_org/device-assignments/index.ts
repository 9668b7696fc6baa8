import type { FastifyPluginAsyncZod } from '@fastify/type-provider-zod'
import { z } from 'zod'
import { jobSchema, jobView } from '../../../../../src/api/jobs.js'
import { checkMdmServer } from '../../../../../src/api/org-live.js'
import { orgParamsSchema } from '../../../../../src/api/org-schemas.js'
import { defineRoute } from '../../../../../src/api/route-kit.js'
import { serialSchema } from '../../../../../src/api/serials.js'
import { ORG_ASSIGN_KIND, type OrgAssignJobInput } from '../../../../../src/orgs/assign-job.js'
import { problemResponses } from '../../../../../src/problems.js'

/** Bounds one request's body; a larger set is sent as several jobs. */
const MAX_ASSIGN_SERIALS = 100_000

const bodySchema = z.object({
  action: z.enum(['assign', 'unassign']).describe('`assign`: the devices join the MDM server (leaving the one they were on); `unassign`: they leave it'),
  mdm_server: z.string().min(1).max(128).describe('The MDM server\'s id at Apple, as GET /v1/orgs/{org}/mdm-servers shows it'),
  serials: z.array(serialSchema).min(1).max(MAX_ASSIGN_SERIALS).describe(`From 1 to ${MAX_ASSIGN_SERIALS} serial numbers`)
})

const DESCRIPTION = `Assigns devices of the organisation to one of its MDM servers, or unassigns them, as a job: the answer is 202 at once with the job and \`Location: /v1/jobs/{id}\`.

depgate sends Apple one device activity per 1000 serials (Apple's limit), follows each until Apple completes it, and records each serial's outcome: GET the job for its progress and, once it has \`succeeded\`, its \`summary\` (count per status, activities Apple failed); \`/v1/jobs/{id}/results\` has each serial's \`SUCCESS\` or \`FAILED\` with Apple's reason. Apple shows an assignment some seconds after it completed; a DEP server then sees the devices in its next sync.

An unknown org answers 404 \`ORG_NOT_FOUND\`, an MDM server the organisation does not have 404 \`ORG_MDM_SERVER_NOT_FOUND\`. The MDM server is looked up in the org mirror; only one the mirror does not list is asked of Apple, within the org's request budget (429 \`ORG_REQUEST_BUDGET_EXHAUSTED\` with Retry-After when it is used up).`

const plugin: FastifyPluginAsyncZod = async (fastify) => {
  fastify.post('/', defineRoute({
    scope: 'write',
    problems: ['ORG_NOT_FOUND', 'ORG_MDM_SERVER_NOT_FOUND', 'ORG_REQUEST_BUDGET_EXHAUSTED', 'ORG_ACCOUNT_REFUSED', 'UPSTREAM_THROTTLED', 'UPSTREAM_UNREACHABLE', 'UPSTREAM_INVALID_RESPONSE', 'UPSTREAM_ERROR'],
    audit: 'org.device_assignment',
    sends: ['Location'],
    operationId: 'assignOrgDevices',
    tag: 'orgs',
    summary: 'Assign or unassign devices to an MDM server (a job)',
    description: DESCRIPTION,
    schema: {
      params: orgParamsSchema,
      body: bodySchema,
      response: { 202: jobSchema.describe('The job that assigns the devices'), ...problemResponses(404, 413, 415, 429, 502) }
    }
  }), async (request, reply) => {
    const { org } = request.params
    const { action, mdm_server: mdmServer, serials } = request.body
    // An unknown org or MDM server answers now, not as a failed job.
    await checkMdmServer(fastify, org, mdmServer)
    const input: OrgAssignJobInput = { action, mdmServer, serials }
    const job = await fastify.jobs.enqueue({ kind: ORG_ASSIGN_KIND, org, input, total: new Set(serials).size })
    request.auditWith({ target: `/v1/orgs/${org}`, detail: `job ${job.id}: ${action} ${serials.length} serial(s) to ${mdmServer}` })
    return await reply.code(202).header('location', `/v1/jobs/${job.id}`).send(jobView(job))
  })
}

export default plugin
