import type { FastifyReply } from 'fastify'
import type { FastifyPluginAsyncZod } from '@fastify/type-provider-zod'
import { deviceFilter } from '../../../../../src/api/device-filter.js'
import { LIST_FORMATS, LIST_TYPES, listFormat, listFormatSchema } from '../../../../../src/api/list-format.js'
import { deviceListQuerySchema, deviceListSchema } from '../../../../../src/api/devices.js'
import { mirrorDeviceListSchema, mirrorListQueryFields, sourceUnion } from '../../../../../src/api/mirror.js'
import { appleCannot, appleHeaders, useMirror } from '../../../../../src/api/mirror-source.js'
import { defineRoute, errorResponses, serverParamsSchema } from '../../../../../src/api/route-kit.js'
import { appleList } from './apple-list.js'
import { mirrorList } from './mirror-list.js'

const DESCRIPTION = `Every device assigned to this MDM server. Answered from depgate's **mirror** (\`X-Depgate-Source: mirror\`, instant, with \`X-Depgate-Synced-At\`: when the mirror last synced with Apple) once its first full fetch has completed; before that, with the mirror switched off, or with \`source=apple\`, depgate asks **Apple** live (\`X-Depgate-Source: apple\`), following Apple's cursor through every page. A JSON answer's \`source\` field (\`mirror\` or \`apple\`) says the same as the header.

**Filters** (all optional, combined with AND): \`serial\`, \`serial_prefix\`, \`model\`, \`os\`, \`device_family\`, \`profile_status\`, \`profile_uuid\`, \`asset_tag\`, \`color\`, \`device_assigned_by\`, each matching any of its values case-insensitively (repeat the parameter or separate values with commas: \`?os=iOS&os=iPadOS&profile_status=empty,removed\`); \`description\` (contains the text, case-insensitive; repeat it for several); \`assigned_after\` (on or after) and \`assigned_before\` (before), ISO 8601 (\`2026-01-15\` or \`2026-01-15T09:30:00Z\`), on \`device_assigned_date\`. A parameter the route does not know is refused (400 \`UNKNOWN_PARAMETER\`, naming the one you probably meant).

**Forms**: JSON (default), NDJSON (\`Accept: application/x-ndjson\`) or CSV (\`Accept: text/csv\`: a header row, a column per device field, for a spreadsheet), or \`?format=json|ndjson|csv\` instead of the header. An Accept that allows none of them is answered 406 \`NOT_ACCEPTABLE\`.

**From the mirror**:
- without \`limit\`, the whole list: \`{ source: "mirror", devices, count, total, next_page_token: null, synced_at, last_seq }\`, streamed from the database (JSON, or NDJSON on \`Accept: application/x-ndjson\`: a device a line, then the trailer \`{"count", "synced_at", "last_seq"}\`). Keep \`last_seq\` and follow what changes next with \`GET …/devices/changes?since=<last_seq>\`.
- with \`limit\` (1 to 1000), one page, with \`total\`: the devices matching the filters on all pages (as CSV, in the \`X-Depgate-Total\` and \`X-Depgate-Next-Page-Token\` headers); pass its \`next_page_token\` as \`page_token\` (same filters, sort, order and removed) for the next, until it is null.
- \`sort\` (serial_number, model, os, device_family, profile_status, device_assigned_date, last_changed_at, first_seen_at) and \`order\` (asc, desc). A whole list in another order than the serial's is read from one snapshot of the mirror, so a sync meanwhile neither repeats nor drops a device; depgate reads at most 4 such lists at once, and on PostgreSQL no more than half its connection pool (beyond: 503 \`MIRROR_BUSY\`, with Retry-After).
- \`removed=include\` adds devices Apple no longer shows to this server (they carry \`removed_at\`); \`removed=only\` lists only them.
These parameters need the mirror: with \`source=apple\` they are refused (400 \`MIRROR_ONLY_PARAMETER\`); while the first fetch runs they answer 503 \`INVENTORY_NOT_READY\` (with Retry-After); with the mirror off, 409 \`INVENTORY_DISABLED\`.

**From Apple**: \`{ source: "apple", devices, count, cursor, fetched_until }\`. \`cursor\` is Apple's cursor after the last page: pass it to \`GET …/devices/changes?cursor=\` later to get only what changed. Written as Apple's pages arrive (the trailing fields after the array), so memory stays at about one page whatever the fleet. NDJSON (\`Accept: application/x-ndjson\`): one device per line, written as Apple's pages arrive; the last line is a trailer \`{"cursor": "…", "fetched_until": "…", "count": n}\`. Callers of one server asking at the same time share one drain of Apple's pages (Apple sees one fetch), paced by the slowest of them; a caller arriving once that drain is past its first page waits for it to end and shares the next one.

**Streams**: if the first page fails you get an ordinary problem response with its status. If a later page fails, a JSON document ends with a field \`"error": {…problem…}\` and no closing brace (so it never parses), an NDJSON stream's last line is \`{"error": {…problem…}}\`, and either kind of stream is cut off before the chunked response is terminated, so your HTTP client reports an error too: **treat a stream without its trailer (or a JSON document that does not parse) as incomplete**. A whole list whose reader takes nothing for \`DEPGATE_STREAM_IDLE_TIMEOUT\` (60 s) is cut off the same way.

**Limits**: an API key may have \`DEPGATE_STREAMS_PER_KEY\` (4) whole lists (without \`limit\`, from either source) open at once; beyond: 429 \`TOO_MANY_STREAMS\` with Retry-After.`

const MIRROR_ONLY = ['sort', 'order', 'limit', 'page_token', 'removed'] as const

const plugin: FastifyPluginAsyncZod = async (fastify) => {
  fastify.get('/', defineRoute({
    scope: 'read',
    produces: LIST_TYPES,
    formats: LIST_FORMATS,
    operationId: 'listDevices',
    sends: ['X-Depgate-Source', 'X-Depgate-Synced-At', 'X-Depgate-Total', 'X-Depgate-Next-Page-Token'],
    tag: 'devices',
    summary: 'List every device',
    description: DESCRIPTION,
    schema: {
      params: serverParamsSchema,
      querystring: deviceListQuerySchema.extend({ ...mirrorListQueryFields, format: listFormatSchema }),
      response: { 200: sourceUnion(mirrorDeviceListSchema, deviceListSchema), ...errorResponses() }
    }
  }), async (request, reply) => {
    const { server } = request.params
    const { client } = fastify.depServers.get(server)
    const query = request.query
    const mirrorOnly = MIRROR_ONLY.filter((name) => query[name] !== undefined)
    if (query.source === 'apple' && mirrorOnly.length > 0) throw appleCannot(mirrorOnly)
    const enabled = fastify.mirror.enabled
    const state = enabled && query.source !== 'apple' ? await fastify.store.mirror.state(server) : undefined
    // Mirror answers are text (stored JSON) or streams, which the untyped reply carries past the serializer.
    const raw: FastifyReply = reply
    const format = listFormat(request.responseType)
    if (useMirror({ enabled, server, source: query.source, needsMirror: mirrorOnly.length > 0 }, state)) {
      return await mirrorList(fastify.store.mirror, request, raw, { server, query, state, format, limits: fastify.streamLimits })
    }
    appleHeaders(raw)
    return await appleList(request, raw, client, { server, match: deviceFilter(query), format, limits: fastify.streamLimits })
  })
}

export default plugin
