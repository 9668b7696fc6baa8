/**
 * The shape every per-serial write shares (assign, remove, disown): an audit attempt naming the
 * serials is written BEFORE calling Apple, so a call that fails or never returns is logged with
 * them; then Apple's status per serial is answered with a `summary`, which the attempt's outcome
 * notes too. A chunked call that fails part way notes what the chunks already done achieved.
 */
import type { FastifyInstance, FastifyRequest } from 'fastify'
import { chunkedFailure } from '../dep/chunks.js'
import { summarize } from './profiles.js'

export async function perSerialWrite<T extends { devices: Record<string, string> }> (
  fastify: FastifyInstance,
  request: FastifyRequest,
  entry: Omit<Parameters<FastifyInstance['auditCall']>[1], 'detail'> & { serials: readonly string[] },
  call: () => Promise<T>
): Promise<T & { summary: Record<string, number> }> {
  const attempt = `${entry.serials.length} serial(s)`
  const result = await fastify.auditCall(request, { ...entry, detail: attempt }, async () => {
    try {
      return await call()
    } catch (err) {
      const failure = chunkedFailure<T>(err)
      if (failure !== undefined) {
        request.auditWith({ detail: `${attempt}; before the failure: ${JSON.stringify(summarize(failure.partial.devices))}, ${failure.pending.length} not done` })
      }
      throw err
    }
  }, (r) => ({ detail: `${attempt}: ${JSON.stringify(summarize(r.devices))}` }))
  return { ...result, summary: summarize(result.devices) }
}
