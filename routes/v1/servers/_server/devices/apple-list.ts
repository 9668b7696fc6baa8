/**
 * The live list: every page of Apple's device fetch, drained per request (the behaviour before the
 * mirror, and `source=apple` since).
 */
import { Readable } from 'node:stream'
import type { FastifyReply, FastifyRequest } from 'fastify'
import type { DepClient } from '../../../../../src/dep/index.js'
import type { DevicePredicate } from '../../../../../src/api/device-filter.js'
import { collectDevices, NDJSON_CONTENT_TYPE, ndjsonDevices, wantsNdjson, type StreamPage } from '../../../../../src/api/device-stream.js'
import { httpProblem } from '../../../../../src/problems.js'

export async function appleList (request: FastifyRequest, reply: FastifyReply, client: DepClient, match: DevicePredicate | undefined) {
  const aborter = new AbortController()
  reply.raw.once('close', () => { if (!reply.raw.writableFinished) aborter.abort() })
  const pages: AsyncIterator<StreamPage> = client.drainFetch({ signal: aborter.signal })[Symbol.asyncIterator]()
  try {
    // The first page is awaited here in both modes: a failure this early is answered as a normal problem with its status.
    const first = await pages.next()
    if (!wantsNdjson(request.headers.accept)) return await collectDevices(first, pages, match)
    return reply.type(NDJSON_CONTENT_TYPE).header('cache-control', 'no-store').send(Readable.from(ndjsonDevices({
      first,
      rest: pages,
      match,
      res: reply.raw,
      // Fastify logs the error itself when the stream ends with it.
      problem: (err) => request.server.problemFor(err, request, { log: false })
    })))
  } catch (err) {
    // A caller that hung up aborted the drain: say so (logged as a refusal, not as a depgate failure).
    if (aborter.signal.aborted) throw httpProblem(499, 'CLIENT_CLOSED_REQUEST', 'The caller closed the connection before the device list was complete.', { cause: err })
    throw err
  }
}
