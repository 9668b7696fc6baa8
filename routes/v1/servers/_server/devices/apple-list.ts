/**
 * The live list: every page of Apple's device fetch (the behaviour before the mirror, and
 * `source=apple` since). Concurrent callers of one server share one drain (src/api/shared-drain.ts):
 * Apple sees one fetch however many ask, and the slowest reader paces it.
 */
import { Readable } from 'node:stream'
import type { FastifyReply, FastifyRequest } from 'fastify'
import type { DepClient } from '../../../../../src/dep/index.js'
import type { DevicePredicate } from '../../../../../src/api/device-filter.js'
import { CSV_CONTENT_TYPE, csvDisposition } from '../../../../../src/api/device-csv.js'
import { csvDevices, jsonDevices, NDJSON_CONTENT_TYPE, ndjsonDevices, type StreamOptions, type StreamPage } from '../../../../../src/api/device-stream.js'
import type { ListFormat } from '../../../../../src/api/list-format.js'
import { httpProblem } from '../../../../../src/problems.js'
import type { StreamLimits } from '../../../../../plugins/app/stream-limits.js'

export interface AppleListRequest {
  server: string
  match: DevicePredicate | undefined
  format: ListFormat
  limits: StreamLimits
}

export async function appleList (request: FastifyRequest, reply: FastifyReply, client: DepClient, { server, match, format, limits }: AppleListRequest) {
  limits.admit(request, reply)
  const aborter = new AbortController()
  reply.raw.once('close', () => { if (!reply.raw.writableFinished) aborter.abort() })
  // Keyed by the client: a server whose token is replaced meanwhile never shares a drain made with the old one.
  const pages: AsyncIterator<StreamPage> = limits.drains.join(client, (signal) => client.drainFetch({ signal }), aborter.signal)
  try {
    // The first page is awaited here in every form: a failure this early is answered as a normal problem with its status.
    const first = await pages.next()
    // One chunk (a page's text) held ahead of the socket, not Readable.from's default 16: a reader
    // that falls behind holds the shared drain (and its memory) back after a page or two.
    const body = (chunks: AsyncGenerator<string, void, undefined>) => Readable.from(limits.watch(reply, chunks), { highWaterMark: 1 })
    const opts: StreamOptions = {
      first,
      rest: pages,
      match,
      res: reply.raw,
      // Fastify logs the error itself when the stream ends with it.
      problem: (err) => request.server.problemFor(err, request, { log: false })
    }
    if (format === 'csv') {
      return reply.type(CSV_CONTENT_TYPE).header('cache-control', 'no-store').header('content-disposition', csvDisposition(server))
        .send(body(csvDevices(opts)))
    }
    if (format === 'json') {
      // Streamed like the other forms, so a large fleet is never held whole (the serializer is bypassed: the shape is deviceListSchema's).
      return reply.type('application/json; charset=utf-8').header('cache-control', 'no-store').send(body(jsonDevices(opts)))
    }
    return reply.type(NDJSON_CONTENT_TYPE).header('cache-control', 'no-store').send(body(ndjsonDevices(opts)))
  } catch (err) {
    // A caller that hung up left the drain: say so (logged as a refusal, not as a depgate failure).
    if (aborter.signal.aborted) throw httpProblem(499, 'CLIENT_CLOSED_REQUEST', 'The caller closed the connection before the device list was complete.', { cause: err })
    throw err
  }
}
