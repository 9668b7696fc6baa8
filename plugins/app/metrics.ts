/**
 * Prometheus metrics in an own Registry (never prom-client's global one: two apps in one test
 * process must not share counters). Route labels use the route pattern, not the URL, so serials
 * and names never multiply the series.
 */
import fp from 'fastify-plugin'
import { collectDefaultMetrics, Counter, Registry } from 'prom-client'
import { KeyedCounter, KeyedHistogram, Series } from './metric-series.js'

import type { DepClientEvent } from '../../src/dep/index.js'

/** What the DEP client reports through `onEvent`; never carries secrets. */
export type DepEvent = DepClientEvent

export interface Metrics {
  registry: Registry
  /** Feed for a DepClient's `onEvent`, labelled with the depgate server name. */
  onDepEvent (server: string, event: DepEvent): void
  observeHttp (method: string, route: string, status: number, seconds: number): void
  /** Drops every series labelled with this server, from every metric in the registry (a deleted server is no longer scraped). */
  forgetServer (server: string): Promise<void>
}

/** What the registry's prom-client metrics offer at run time; `getMetricsAsArray` types them as plain descriptions. */
interface LabelledMetric {
  labelNames: readonly string[]
  get (): Promise<{ values: Array<{ labels: Record<string, string | number> }> }>
  remove (labels: Record<string, string | number>): void
}

declare module 'fastify' {
  interface FastifyInstance {
    metrics: Metrics
  }
}

export function createMetrics (): Metrics {
  const registry = new Registry()
  collectDefaultMetrics({ register: registry, prefix: 'depgate_' })
  // The three series touched on every request are the cheap kind (metric-series.ts); the rare ones stay prom-client's.
  const httpRequests = new KeyedCounter('depgate_http_requests_total', 'HTTP requests served, by route pattern and status', registry)
  const httpDuration = new KeyedHistogram('depgate_http_request_duration_seconds', 'HTTP request duration, by route pattern', registry,
    [0.005, 0.025, 0.1, 0.25, 1, 2.5, 10, 30])
  const upstream = new KeyedHistogram('depgate_upstream_request_duration_seconds', 'Requests to Apple (or the simulator), by server, endpoint and status (0 = no answer)', registry,
    [0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30])
  const sessions = new Counter({
    name: 'depgate_dep_sessions_total',
    help: 'DEP session acquisitions, by server and outcome (acquired, rotated, failed)',
    labelNames: ['server', 'outcome'] as const,
    registers: [registry]
  })
  const retries = new Counter({
    name: 'depgate_dep_retries_total',
    help: 'Retried requests to Apple, by server, endpoint and reason',
    labelNames: ['server', 'endpoint', 'reason'] as const,
    registers: [registry]
  })
  return {
    registry,
    onDepEvent (server, e) {
      if (e.type === 'request') {
        upstream.observe(`${server} ${e.endpoint} ${e.status}`, () => ({ server, endpoint: e.endpoint, status: String(e.status) }), e.durationMs / 1000)
      } else if (e.type === 'session') {
        sessions.inc({ server, outcome: e.outcome })
      } else {
        retries.inc({ server, endpoint: e.endpoint, reason: e.reason })
      }
    },
    async forgetServer (server) {
      // Every metric, not a list of the ones known here: the mirror and token-health plugins add
      // their own per-server series to this registry.
      for (const metric of registry.getMetricsAsArray() as unknown[]) {
        if (metric instanceof Series) {
          metric.dropWhere((labels) => labels.server === server)
          continue
        }
        const m = metric as LabelledMetric
        if (!m.labelNames.includes('server')) continue
        for (const { labels } of (await m.get()).values) {
          // A histogram's values carry `le` too; remove() wants exactly the declared labels.
          if (labels.server === server) m.remove(Object.fromEntries(m.labelNames.map((name) => [name, labels[name]])))
        }
      }
    },
    observeHttp (method, route, status, seconds) {
      const series = `${method} ${route}`
      httpRequests.inc(`${series} ${status}`, () => ({ method, route, status: String(status) }))
      httpDuration.observe(series, () => ({ method, route }), seconds)
    }
  }
}

export function createMetricsPlugin () {
  return fp(async function metrics (fastify) {
    const m = createMetrics()
    fastify.decorate('metrics', m)
    // Callback style: an async hook costs a promise and a microtask on every request.
    fastify.addHook('onResponse', function countRequest (request, reply, done) {
      const route = request.is404 ? '(unmatched)' : String(request.routeOptions.url)
      m.observeHttp(request.method, route, reply.statusCode, reply.elapsedTime / 1000)
      done()
    })
  }, { name: 'depgate-metrics' })
}
