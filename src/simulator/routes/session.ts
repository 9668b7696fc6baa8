import type { FastifyInstance } from 'fastify'
import { dep } from '../route-config.js'
import { verifyOAuth } from '../oauth.js'
import { sendError, sendJson } from '../reply.js'

export function registerSessionRoutes (app: FastifyInstance): void {
  // docs/apple-dep.md §1.2. No User-Agent check here: Apple's pages list it for data endpoints only, and
  // nanodep long sent /session without one.
  app.get('/session', dep('session', false), async (request, reply) => {
    const sim = app.sim
    const now = sim.now()
    // The timestamp window is checked against the wall clock: a third-party client signs with its own
    // clock, and a POST /_sim/clock advance (to reach EXPIRED_CURSOR) must not lock it out.
    const wall = sim.clock.wall()
    const authorization = request.headers.authorization
    const result = verifyOAuth({
      method: request.method,
      url: new URL(request.url, `${request.protocol}://${request.host}`),
      header: authorization,
      nowMs: wall,
      windowSec: sim.config.timestampWindowSec,
      credentials: sim.credentials,
      useNonce: (nonce, ts) => sim.sessions.useNonce(nonce, ts, wall, sim.config.timestampWindowSec)
    })
    if (!result.ok) return sendError(reply, result.status, result.code)
    if (sim.config.accessDenied) return sendError(reply, 403, 'ACCESS_DENIED')
    if (!sim.config.termsSigned) return sendError(reply, 403, 'T_C_NOT_SIGNED')
    return sendJson(reply, { auth_session_token: sim.sessions.issue(now, sim.config.sessionTtlMs) })
  })

  // depsim hands out its test credentials here (docs/apple-dep.md §5.1); so does this simulator.
  app.get('/token', async (_request, reply) => sendJson(reply, app.sim.credentials))
}
