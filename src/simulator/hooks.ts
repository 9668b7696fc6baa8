import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify'
import { setTimeout as sleep } from 'node:timers/promises'
import { sendError } from './reply.js'
import type { SimState } from './state.js'

const DEFAULT_CODES: Record<number, string> = {
  400: 'BAD_REQUEST',
  401: 'UNAUTHORIZED',
  403: 'FORBIDDEN',
  404: 'NOT_FOUND',
  429: 'TOO_MANY_REQUESTS',
  500: 'INTERNAL_SERVER_ERROR',
  502: 'BAD_GATEWAY',
  503: 'SERVICE_UNAVAILABLE',
  504: 'GATEWAY_TIMEOUT'
}

function header (request: FastifyRequest, name: string): string | undefined {
  // Node joins repeated custom headers and drops repeated User-Agents, so these are strings.
  return request.headers[name] as string | undefined
}

/**
 * A latency fault's wait, counted in `sim.delayed` meanwhile. It runs to its end even when the
 * client has given up, as Apple goes on with a request whose caller timed out.
 */
async function delay (sim: SimState, ms: number): Promise<void> {
  sim.delayed++
  try {
    await sleep(ms)
  } finally {
    sim.delayed--
  }
}

/**
 * Runs before the body is read, in the order a client meets things: stats, scripted faults, then
 * (API calls only) User-Agent, session and account-level refusals. /session checks its own
 * OAuth header in its handler; /token and the control API have no `depsim` route config.
 */
async function onRequest (this: FastifyInstance, request: FastifyRequest, reply: FastifyReply): Promise<FastifyReply | undefined> {
  const meta = request.routeOptions.config.depsim
  if (meta === undefined) return
  const sim = this.sim
  const { endpoint } = meta
  sim.count(endpoint)
  // A client that gives up on a request (a timeout, a caller that hung up on depgate and so
  // aborted the drain) is visible here and nowhere else: tests wait for this count instead of
  // sleeping to see that depgate stopped.
  const abandoned = (): void => { if (!reply.raw.writableFinished) sim.countAbandoned(endpoint) }
  reply.raw.once('close', abandoned)
  const latency = sim.faults.take(endpoint, 'latency')
  if (latency !== undefined) await delay(sim, latency.ms as number)
  if (sim.faults.take(endpoint, 'drop') !== undefined) {
    // The simulator hangs up, not the client.
    reply.raw.off('close', abandoned)
    reply.hijack()
    request.raw.socket.destroy()
    return
  }
  const status = sim.faults.take(endpoint, 'status')
  if (status !== undefined) {
    if (status.retryAfter !== undefined) reply.header('retry-after', String(status.retryAfter))
    const code = status.code ?? DEFAULT_CODES[status.status as number] ?? ''
    return sendError(reply, status.status as number, code)
  }
  if (!meta.session) return
  const ua = header(request, 'user-agent')
  if (ua === undefined || ua.trim() === '') return sendError(reply, 400, 'USER_AGENT_MISSING')
  if (sim.config.userAgentDenyList.some((s) => s !== '' && ua.includes(s))) return sendError(reply, 400, 'USER_AGENT_INVALID')
  const session = sim.sessions.check(header(request, 'x-adm-auth-session'), sim.now())
  // depsim answers 403 FORBIDDEN for a token it never issued (docs/apple-dep.md §1.3); Apple 401 for expired or missing.
  if (session === 'unknown') return sendError(reply, 403, 'FORBIDDEN')
  if (session !== 'ok') return sendError(reply, 401, 'UNAUTHORIZED')
  if (sim.config.accessDenied) return sendError(reply, 403, 'ACCESS_DENIED')
  if (!sim.config.termsSigned) return sendError(reply, 403, 'T_C_NOT_SIGNED')
}

/** Post-processing of successful answers: session rotation and the body-level faults. */
async function onSend (this: FastifyInstance, request: FastifyRequest, reply: FastifyReply, payload: unknown): Promise<unknown> {
  const meta = request.routeOptions.config.depsim
  if (meta === undefined || reply.statusCode >= 300) return payload
  const sim = this.sim
  if (meta.session && sim.config.rotateSessions) {
    reply.header('x-adm-auth-session', sim.sessions.issue(sim.now(), sim.config.sessionTtlMs, true))
  }
  if (sim.faults.take(meta.endpoint, 'content_type') !== undefined) {
    // What a proxy or maintenance page in front of Apple would answer: right status, wrong body.
    reply.header('content-type', 'text/html; charset=utf-8')
    return '<html><head><title>Service Unavailable</title></head><body>Please try again later.</body></html>'
  }
  if (typeof payload === 'string' && payload.length > 0 && sim.faults.take(meta.endpoint, 'truncate') !== undefined) {
    return payload.slice(0, Math.ceil(payload.length / 2))
  }
  return payload
}

export function registerHooks (app: FastifyInstance): void {
  app.addHook('onRequest', onRequest)
  app.addHook('onSend', onSend)
}
