import type { FastifyPluginAsyncZod } from '@fastify/type-provider-zod'
import { problemResponses } from '../../../../../src/problems.js'
import { LIST_FORMATS, LIST_TYPES, listFormat } from '../../../../../src/api/list-format.js'
import { defineRoute } from '../../../../../src/api/route-kit.js'
import { orgDeviceListSchema, orgDeviceQuerySchema, orgParamsSchema } from '../../../../../src/api/org-schemas.js'
import { listOrgDevices } from '../../../../../src/api/org-devices.js'

const DESCRIPTION = `Every device of the organisation, across all its MDM servers and unassigned ones, from depgate's org mirror (Apple's organisation API has no change feed: the mirror reads the whole list every \`DEPGATE_ORG_SYNC_INTERVAL\`, within \`DEPGATE_ORG_REQUEST_BUDGET\` calls a minute).

**Filters** (optional, combined with AND; comma-separated values match any, case-insensitively): \`status\` (ASSIGNED, UNASSIGNED), \`mdm_server\` (ids, as \`GET …/mdm-servers\` lists them), \`product_family\`, \`serial_prefix\`, \`order_number\`, \`purchase_source\` (APPLE, RESELLER, MANUALLY_ADDED).

**Forms**: JSON (default) is one page (\`limit\`, default 100, at most 1000) with \`total\` (the devices matching on all pages) and \`next_page_token\` (pass it as \`page_token\`, same filters, until it is null). NDJSON (\`Accept: application/x-ndjson\` or \`format=ndjson\`) is the whole list, a device a line, then a trailer \`{"count", "refreshed_at", "last_seq"}\`; CSV (\`Accept: text/csv\` or \`format=csv\`) the whole list with a header row. Before the mirror's first refresh completes: 503 \`ORG_MIRROR_NOT_READY\` with Retry-After.`

const plugin: FastifyPluginAsyncZod = async (fastify) => {
  fastify.get('/', defineRoute({
    scope: 'read',
    problems: ['ORG_NOT_FOUND', 'ORG_MIRROR_NOT_READY', 'INVALID_PAGE_TOKEN', 'TOO_MANY_STREAMS'],
    produces: LIST_TYPES,
    formats: LIST_FORMATS,
    operationId: 'listOrgDevices',
    tag: 'orgs',
    summary: 'List every device of the organisation',
    description: DESCRIPTION,
    schema: {
      params: orgParamsSchema,
      querystring: orgDeviceQuerySchema,
      response: { 200: orgDeviceListSchema, ...problemResponses(404, 503) }
    }
  }), async (request, reply) => await listOrgDevices(fastify, request, reply, request.params.org, request.query, listFormat(request.responseType)))
}

export default plugin
