import { Readable } from 'node:stream'
import type { FastifyReply } from 'fastify'
import type { FastifyPluginAsyncZod } from '@fastify/type-provider-zod'
import { deviceListQuerySchema, deviceListSchema } from '../../../../../src/api/devices.js'
import { deviceFilter } from '../../../../../src/api/device-filter.js'
import { collectDevices, NDJSON_CONTENT_TYPE, ndjsonDevices, wantsNdjson, type StreamPage } from '../../../../../src/api/device-stream.js'
import { docs, errorResponses, serverParamsSchema } from '../../../../../src/api/route-kit.js'
import { httpProblem, toProblem } from '../../../../../src/problems.js'
import { mapError } from '../../../../../plugins/app/error-mapping.js'
import { mappingContext } from '../../../../../plugins/app/errors.js'

const DESCRIPTION = `Every device currently assigned to this MDM server: depgate follows Apple's cursor through every page (up to 1000 devices a page) and answers once.

**Filters** (all optional, combined with AND): \`serial\`, \`model\`, \`os\`, \`device_family\`, \`profile_status\`, \`profile_uuid\`. Each takes a comma-separated list and matches any of its values, case-insensitively: \`?os=OSX&profile_status=empty,removed\`.

**JSON** (default): \`{ devices, count, cursor, fetched_until }\`. \`cursor\` is Apple's cursor after the last page: pass it to \`GET …/devices/changes?cursor=\` later to get only what changed. If any page fails the answer is a problem (\`application/problem+json\`) and no partial list is ever returned.

**NDJSON streaming** (\`Accept: application/x-ndjson\`): one device per line, written as Apple's pages arrive, so depgate's memory does not grow with the fleet. The last line is a trailer \`{"cursor": "…", "fetched_until": "…", "count": n}\`. If the first page fails you get an ordinary problem response with its status. If a later page fails, the last line is \`{"error": {…problem…}}\` and the connection is then cut off before the chunked response is terminated, so your HTTP client reports an error too: **treat a stream without the trailer line as incomplete**.`

const plugin: FastifyPluginAsyncZod = async (fastify) => {
  fastify.get('/', {
    config: { scope: 'read' },
    schema: {
      ...docs('devices', 'read', 'List every device', DESCRIPTION),
      params: serverParamsSchema,
      querystring: deviceListQuerySchema,
      response: { 200: deviceListSchema, ...errorResponses() }
    }
  }, async (request, reply) => {
    const { client } = fastify.depServers.get(request.params.server)
    const match = deviceFilter(request.query)
    const aborter = new AbortController()
    reply.raw.once('close', () => { if (!reply.raw.writableFinished) aborter.abort() })
    const pages: AsyncIterator<StreamPage> = client.drainFetch({ signal: aborter.signal })[Symbol.asyncIterator]()
    try {
      // The first page is awaited here in both modes: a failure this early is answered as a normal problem with its status.
      const first = await pages.next()
      if (!wantsNdjson(request.headers.accept)) return await collectDevices(first, pages, match)
      // A stream is not serialized: the untyped reply carries it.
      const raw: FastifyReply = reply
      return raw.type(NDJSON_CONTENT_TYPE).header('cache-control', 'no-store').send(Readable.from(ndjsonDevices({
        first,
        rest: pages,
        match,
        res: reply.raw,
        problem: (err) => {
          const { problem } = mapError(err, mappingContext(request))
          // Fastify logs the error itself when the stream ends with it.
          request.problemCode = problem.code
          return toProblem(problem, request.url, request.id)
        }
      })))
    } catch (err) {
      // A caller that hung up aborted the drain: say so (logged as a refusal, not as a depgate failure).
      if (aborter.signal.aborted) throw httpProblem(499, 'CLIENT_CLOSED_REQUEST', 'The caller closed the connection before the device list was complete.', { cause: err })
      throw err
    }
  })
}

export default plugin
