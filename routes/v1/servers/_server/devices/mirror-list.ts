/**
 * The list from depgate's mirror: one page (`limit`, `page_token`), or every device streamed from
 * the database a batch at a time as JSON or NDJSON, the stored records copied as text.
 */
import { Readable } from 'node:stream'
import type { FastifyReply, FastifyRequest } from 'fastify'
import { CSV_CONTENT_TYPE, csvDisposition, csvText, MIRROR_COLUMNS } from '../../../../../src/api/device-csv.js'
import { NDJSON_CONTENT_TYPE } from '../../../../../src/api/device-stream.js'
import type { ListFormat } from '../../../../../src/api/list-format.js'
import { NEXT_PAGE_HEADER, TOTAL_HEADER } from '../../../../../src/api/mirror.js'
import { type MirrorListQuery, pageScope, readMirrorPage } from '../../../../../src/api/mirror-page.js'
import { mirrorHeaders } from '../../../../../src/api/mirror-source.js'
import { csvList, deviceObject, firstBatchRead, jsonList, ndjsonList, pageJson } from '../../../../../src/api/mirror-stream.js'
import type { MirrorReads, MirrorState } from '../../../../../src/store/mirror-reads.js'
import type { StreamLimits } from '../../../../../plugins/app/stream-limits.js'

export type { MirrorListQuery }

const JSON_TYPE = 'application/json; charset=utf-8'

export interface MirrorListRequest {
  server: string
  query: MirrorListQuery
  state: MirrorState
  format: ListFormat
  limits: StreamLimits
}

export async function mirrorList (reads: MirrorReads, request: FastifyRequest, reply: FastifyReply, { server, query, state, format, limits }: MirrorListRequest): Promise<FastifyReply> {
  const scope = pageScope(server, query)
  const tail = { synced_at: state.last_success_at, last_seq: state.last_seq }
  mirrorHeaders(reply, state)
  if (format === 'csv') reply.header('content-disposition', csvDisposition(server))
  if (query.limit !== undefined || query.page_token !== undefined) {
    const { page, total, token } = await readMirrorPage(reads, scope, query)
    if (format === 'csv') {
      // A page as CSV: what JSON says beside the devices goes in headers.
      if (token !== null) reply.header(NEXT_PAGE_HEADER, token)
      return reply.header(TOTAL_HEADER, String(total)).type(CSV_CONTENT_TYPE).send(csvText(MIRROR_COLUMNS, page.devices.map(deviceObject), true))
    }
    // A string with a JSON type is sent as is: the records are already JSON.
    return reply.type(JSON_TYPE).send(pageJson(page.devices, token, tail, total))
  }
  // The caller's slot is taken before the snapshot (or reader) is: a refused list costs nothing.
  limits.admit(request, reply)
  const batches = await firstBatchRead(reads.streamDevices(server, scope))
  const opts = {
    batches,
    tail,
    res: reply.raw,
    // Fastify logs the error itself when the stream ends with it.
    problem: (err: unknown) => request.server.problemFor(err, request, { log: false })
  }
  const [type, body] = format === 'csv'
    ? [CSV_CONTENT_TYPE, csvList(opts)]
    : format === 'ndjson' ? [NDJSON_CONTENT_TYPE, ndjsonList(opts)] : [JSON_TYPE, jsonList(opts)]
  return reply.type(type).header('cache-control', 'no-store').send(Readable.from(limits.watch(reply, body)))
}
