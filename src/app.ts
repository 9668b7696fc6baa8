/**
 * depgate as a Fastify plugin: shared plugins first (config, errors, store, metrics, auth, audit,
 * rate limit, OpenAPI, DEP servers, token health, the device mirror), then every route under routes/ by autoload. The error handler
 * and the zod compilers are set before any route exists, because each route context copies what
 * its parent has when it is created.
 */
import { dirname, join } from 'node:path'
import { fileURLToPath } from 'node:url'
import autoload from '@fastify/autoload'
import { serializerCompiler } from '@fastify/type-provider-zod'
import type { FastifyInstance } from 'fastify'
import { createAssignmentsPlugin } from '../plugins/app/assignments.js'
import { createAuditPlugin } from '../plugins/app/audit.js'
import { createAuthPlugin } from '../plugins/app/auth.js'
import { createConfigPlugin } from '../plugins/app/config.js'
import { createErrorsPlugin } from '../plugins/app/errors.js'
import { createJobsPlugin, type JobsPluginOptions } from '../plugins/app/jobs.js'
import { createJsonBodiesPlugin } from '../plugins/app/json-bodies.js'
import { createMirrorPlugin, type MirrorPluginOptions } from '../plugins/app/mirror.js'
import { createMetricsPlugin } from '../plugins/app/metrics.js'
import { createOrgsPlugin, type OrgsPluginOptions } from '../plugins/app/orgs.js'
import { createSecurityHeadersPlugin } from '../plugins/app/security-headers.js'
import { createRefusedBodiesPlugin } from '../plugins/app/refused-bodies.js'
import { createStorePlugin } from '../plugins/app/store.js'
import { createStreamLimitsPlugin, type StreamLimitsOptions } from '../plugins/app/stream-limits.js'
import { createRateLimitPlugin } from '../plugins/app/rate-limit.js'
import { createSchedulerPlugin } from '../plugins/app/scheduler.js'
import { createDepServersPlugin, type DepServersPluginOptions } from '../plugins/app/servers.js'
import { createTokenHealthPlugin } from '../plugins/app/token-health.js'
import { createWebhooksPlugin, type WebhooksPluginOptions } from '../plugins/app/webhooks.js'
import { createSwaggerUiPlugin } from '../plugins/external/swagger-ui.js'
import { createSwaggerPlugin } from '../plugins/external/swagger.js'
import { negotiationHook } from './api/negotiation.js'
import { defaultQuerystring, strictValidatorCompiler } from './api/strict-input.js'
import type { Config } from './config.js'
import type { Scheduler } from './scheduler.js'
import type { Store } from './store/index.js'

export interface AppOptions {
  config: Config
  /** An open store to use, opened with its secret box (closing it stays the caller's job); else one is opened from the config. */
  store?: Store
  defaultServer?: DepServersPluginOptions['defaultServer']
  depClientOptions?: DepServersPluginOptions['clientOptions']
  mirror?: MirrorPluginOptions
  jobs?: JobsPluginOptions
  /** Clock and timers of every background loop (default the real ones; tests drive a ManualScheduler). */
  scheduler?: Scheduler
  streamLimits?: StreamLimitsOptions
  webhooks?: WebhooksPluginOptions
  /** Apple Business / School Manager organisations (client factory, refresher on or off). */
  orgs?: OrgsPluginOptions
}

const here = dirname(fileURLToPath(import.meta.url))
// Running from source means a TypeScript loader is active (tap's, or node --import); autoload cannot tell by itself.
/* c8 ignore next - the compiled app (dist/) is never loaded by the tests */
if (import.meta.url.endsWith('.ts')) process.env.FASTIFY_AUTOLOAD_TYPESCRIPT ??= '1'

export default async function app (fastify: FastifyInstance, opts: AppOptions): Promise<void> {
  // Strict: a query parameter or body field no schema declares is refused (src/api/strict-input.ts).
  fastify.setValidatorCompiler(strictValidatorCompiler)
  fastify.setSerializerCompiler(serializerCompiler)
  fastify.addHook('onRoute', defaultQuerystring)
  // Accept is negotiated for every route from what it declares it produces (src/api/negotiation.ts).
  fastify.addHook('preHandler', negotiationHook)
  // A callback hook: this runs on every request, and an async one costs a promise each time.
  fastify.addHook('onRequest', (request, reply, done) => {
    reply.header('x-request-id', request.id)
    done()
  })

  await fastify.register(createConfigPlugin(opts.config))
  await fastify.register(createSchedulerPlugin(opts.scheduler))
  await fastify.register(createErrorsPlugin())
  await fastify.register(createSecurityHeadersPlugin())
  await fastify.register(createRefusedBodiesPlugin())
  await fastify.register(createJsonBodiesPlugin())
  await fastify.register(createStorePlugin({ store: opts.store }))
  await fastify.register(createMetricsPlugin())
  await fastify.register(createAuthPlugin({ adminKey: opts.config.adminKey }))
  await fastify.register(createAuditPlugin())
  await fastify.register(createRateLimitPlugin())
  await fastify.register(createStreamLimitsPlugin(opts.streamLimits))
  await fastify.register(createSwaggerPlugin())
  await fastify.register(createSwaggerUiPlugin())
  const depOpts: DepServersPluginOptions = {}
  if (opts.defaultServer !== undefined) depOpts.defaultServer = opts.defaultServer
  if (opts.depClientOptions !== undefined) depOpts.clientOptions = opts.depClientOptions
  await fastify.register(createDepServersPlugin(depOpts))
  // Before token health: its check at start emits token events the webhooks must record.
  await fastify.register(createWebhooksPlugin(opts.webhooks))
  await fastify.register(createTokenHealthPlugin())
  await fastify.register(createMirrorPlugin(opts.mirror))
  await fastify.register(createJobsPlugin(opts.jobs))
  await fastify.register(createOrgsPlugin(opts.orgs))
  await fastify.register(createAssignmentsPlugin())

  await fastify.register(autoload, {
    dir: join(here, '..', 'routes'),
    routeParams: true,
    options: {}
  })
}
