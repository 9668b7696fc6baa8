import Fastify, { type FastifyError, type FastifyInstance } from 'fastify'
import { registerAxm } from './axm/index.js'
import { registerControl } from './control.js'
import { registerHooks } from './hooks.js'
import type { SimulatorOptions } from './options.js'
import { sendAxmError } from './axm/documents.js'
import { sendError, SimHttpError } from './reply.js'
import { registerAccountRoutes } from './routes/account.js'
import { registerActivationLockRoutes } from './routes/activation-lock.js'
import { registerAdeRoutes } from './routes/ade.js'
import { registerDeviceRoutes } from './routes/devices.js'
import { registerMiscRoutes } from './routes/misc.js'
import { registerProfileRoutes } from './routes/profiles.js'
import { registerSessionRoutes } from './routes/session.js'
import { registerSyncRoutes } from './routes/sync.js'
import { SimState } from './state.js'

/** The simulator as a Fastify instance, not listening; `app.sim` is its state. */
export async function buildSimulator (opts: SimulatorOptions = {}): Promise<FastifyInstance> {
  const app = Fastify({ logger: opts.logger ?? false, bodyLimit: 32 * 1024 * 1024, forceCloseConnections: true })
  app.decorate('sim', new SimState(opts))

  // One lenient parser for every content type (depsim clients send `application/json;charset=UTF8`,
  // some send nothing), for every method including DELETE; an empty body is no body.
  app.removeAllContentTypeParsers()
  app.addContentTypeParser('*', { parseAs: 'string' }, (_request, body, done) => {
    const text = body as string
    if (text.trim() === '') return done(null, undefined)
    try {
      done(null, JSON.parse(text))
    } catch {
      done(new SimHttpError(400, 'MALFORMED_REQUEST_BODY'), undefined)
    }
  })

  app.setErrorHandler((error: FastifyError, request, reply) => {
    const status = error.statusCode !== undefined && error.statusCode >= 400 ? error.statusCode : 500
    if (request.url.startsWith('/_sim')) return reply.code(status).send({ error: error.message })
    if (request.routeOptions.config.axmsim !== undefined) return sendAxmError(reply, status, 'The request could not be processed: its body is not the JSON this endpoint takes')
    const code = error instanceof SimHttpError ? error.code : status >= 500 ? 'INTERNAL_SERVER_ERROR' : 'BAD_REQUEST'
    return sendError(reply, status, code)
  })

  // Apple answers a wrong method on a known path with an empty 405 (docs/apple-dep.md §2.16).
  const paths = new Set<string>()
  app.addHook('onRoute', (route) => { paths.add(route.url) })
  app.setNotFoundHandler((request, reply) => {
    const path = request.url.split('?')[0]
    return reply.code(paths.has(path) ? 405 : 404).send('')
  })

  registerHooks(app)
  registerSessionRoutes(app)
  registerAccountRoutes(app)
  registerDeviceRoutes(app)
  registerSyncRoutes(app)
  registerProfileRoutes(app)
  registerActivationLockRoutes(app)
  registerMiscRoutes(app)
  registerAdeRoutes(app)
  registerControl(app)
  registerAxm(app)
  return app
}
