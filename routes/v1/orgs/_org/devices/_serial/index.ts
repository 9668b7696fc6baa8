import type { FastifyPluginAsyncZod } from '@fastify/type-provider-zod'
import { problemResponses } from '../../../../../../src/problems.js'
import { defineRoute } from '../../../../../../src/api/route-kit.js'
import { orgDeviceAnswerSchema, orgDeviceGetQuerySchema, orgSerialParamsSchema } from '../../../../../../src/api/org-schemas.js'
import { getOrgDeviceAnswer } from '../../../../../../src/api/org-devices.js'

const plugin: FastifyPluginAsyncZod = async (fastify) => {
  fastify.get('/', defineRoute({
    scope: 'read',
    problems: ['ORG_NOT_FOUND', 'ORG_MIRROR_NOT_READY', 'ORG_DEVICE_NOT_FOUND', 'ORG_REQUEST_BUDGET_EXHAUSTED', 'ORG_ACCOUNT_REFUSED', 'UPSTREAM_THROTTLED', 'UPSTREAM_UNREACHABLE', 'UPSTREAM_INVALID_RESPONSE', 'UPSTREAM_ERROR'],
    operationId: 'getOrgDevice',
    tag: 'orgs',
    summary: 'Get one device of the organisation',
    description: 'A device of the organisation whatever MDM server it is assigned to: Apple\'s attributes (model, purchase data, IMEI, MAC addresses…), the MDM server it is assigned to and its AppleCare end date. From the org mirror by default; `source=apple` asks Apple live (three calls: the device, its MDM server, its AppleCare coverage, whose records are answered in full) and keeps the AppleCare end date in the mirror. Those three GETs count against the org\'s request budget (`DEPGATE_ORG_REQUEST_BUDGET`, shared with the mirror\'s refresh): when it is used up the answer is 429 `ORG_REQUEST_BUDGET_EXHAUSTED` with Retry-After, and Apple is not called.',
    schema: {
      params: orgSerialParamsSchema,
      querystring: orgDeviceGetQuerySchema,
      response: { 200: orgDeviceAnswerSchema, ...problemResponses(404, 429, 502, 503) }
    }
  }), async (request) => await getOrgDeviceAnswer(fastify, request.params.org, request.params.serial, request.query.source ?? 'mirror'))
}

export default plugin
