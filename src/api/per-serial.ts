/**
 * The shape every per-serial write shares (assign, remove, disown): note what is attempted in the
 * audit entry BEFORE calling Apple, so a call that fails is logged with it, then answer Apple's
 * status per serial with a `summary`, and note the summary too.
 */
import type { FastifyRequest } from 'fastify'
import { summarize } from './profiles.js'

export async function perSerialWrite<T extends { devices: Record<string, string> }> (
  request: FastifyRequest,
  attempt: string,
  call: () => Promise<T>,
  outcome: (summary: string) => string = (summary) => `${attempt}: ${summary}`
): Promise<T & { summary: Record<string, number> }> {
  request.auditWith({ detail: attempt })
  const result = await call()
  const summary = summarize(result.devices)
  request.auditWith({ detail: outcome(JSON.stringify(summary)) })
  return { ...result, summary }
}
