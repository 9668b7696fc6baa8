/**
 * The checks every AxM request meets before its handler, in Apple's order (docs/apple-axm.md §8):
 * scripted faults, then for the API the bearer token, the Accept header and the rate limit.
 */
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify'
import { setTimeout as sleep } from 'node:timers/promises'
import type { AxmEndpoint } from '../../axm/errors.js'
import { sendAxmError } from './documents.js'

declare module 'fastify' {
  interface FastifyContextConfig {
    /** Marks an AxM endpoint: its stats and fault name, and whether it takes a bearer token. */
    axmsim?: { endpoint: AxmEndpoint, bearer: boolean }
  }
}

export function axm (endpoint: AxmEndpoint, bearer = true): { config: { axmsim: { endpoint: AxmEndpoint, bearer: boolean } } } {
  return { config: { axmsim: { endpoint, bearer } } }
}

const ACCEPTABLE = /^(application\/json|application\/\*|\*\/\*)(\s*;.*)?$/

async function gate (this: FastifyInstance, request: FastifyRequest, reply: FastifyReply): Promise<FastifyReply | undefined> {
  const sim = this.sim
  const now = sim.now()
  sim.axm.org.settle(now, { activityMs: sim.config.axmActivityMs, lagMs: sim.config.axmConsistencyLagMs })
  const meta = request.routeOptions.config.axmsim
  if (meta === undefined) return
  const name = `axm.${meta.endpoint}` as const
  sim.axm.count(meta.endpoint)
  const latency = sim.faults.take(name, 'latency')
  if (latency !== undefined) await sleep(latency.ms as number)
  if (sim.faults.take(name, 'drop') !== undefined) {
    reply.hijack()
    request.raw.socket.destroy()
    return
  }
  const fault = sim.faults.take(name, 'status')
  if (fault !== undefined) {
    if (fault.retryAfter !== undefined) reply.header('retry-after', String(fault.retryAfter))
    return sendAxmError(reply, fault.status as number, 'Scripted by the simulator', fault.code === undefined ? {} : { code: fault.code })
  }
  if (!meta.bearer) return
  const grant = sim.axm.auth.lookup(request.headers.authorization, now)
  if (typeof grant === 'string') {
    return sendAxmError(reply, 401, grant === 'expired' ? 'The access token has expired' : 'The access token is missing or not valid')
  }
  const accept = request.headers.accept
  if (accept !== undefined && !accept.split(',').some((a) => ACCEPTABLE.test(a.trim()))) {
    return sendAxmError(reply, 406, 'Only application/json is served')
  }
  if (sim.config.axmRateLimit) {
    const post = request.method === 'POST'
    const wait = sim.axm.throttle(grant.clientId, request.method, now, post ? sim.config.axmPostPerHour : sim.config.axmGetPerMinute, post ? 3_600_000 : 60_000)
    if (wait !== undefined) {
      reply.header('retry-after', String(wait))
      return sendAxmError(reply, 429, 'The request rate limit has been reached; retry after the time Retry-After gives')
    }
  }
}

/** The body-level faults DEP's endpoints have too: what a proxy in front of Apple might answer. */
async function onSend (this: FastifyInstance, request: FastifyRequest, reply: FastifyReply, payload: unknown): Promise<unknown> {
  const meta = request.routeOptions.config.axmsim
  if (meta === undefined || reply.statusCode >= 300) return payload
  const name = `axm.${meta.endpoint}` as const
  if (this.sim.faults.take(name, 'content_type') !== undefined) {
    reply.header('content-type', 'text/html; charset=utf-8')
    return '<html><body>Service Unavailable</body></html>'
  }
  if (typeof payload === 'string' && this.sim.faults.take(name, 'truncate') !== undefined) return payload.slice(0, Math.ceil(payload.length / 2))
  return payload
}

export function registerGate (app: FastifyInstance): void {
  app.addHook('onRequest', gate)
  app.addHook('onSend', onSend)
}
