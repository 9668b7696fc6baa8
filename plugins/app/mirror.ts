/**
 * The device mirror as `fastify.mirror`: syncers start once the app is ready (never during
 * registration, so a slow Apple cannot delay listen) and stop, releasing their leases, at close.
 * Prometheus gauges read the last statuses, refreshed by a cheap collect at scrape time.
 */
import fp from 'fastify-plugin'
import { Counter } from 'prom-client'
import { serverGauges } from './server-gauges.js'
import { Mirror, type MirrorStatus } from '../../src/mirror/mirror.js'
import { DEFAULT_RETRY_BASE_MS } from '../../src/mirror/server-syncer.js'
import { mapError } from '../../src/api/error-mapping.js'

export type { MirrorStatus } from '../../src/mirror/mirror.js'

declare module 'fastify' {
  interface FastifyInstance {
    /** The device mirror: statuses, sync requests, change-feed wake-ups. */
    mirror: Mirror
  }
}

export interface MirrorPluginOptions {
  /** First retry delay after a failed sync (tests shorten it). */
  retryBaseMs?: number
  /** Long-poll re-read period (default 1 s; tests shorten it). */
  pollMs?: number
}

export function createMirrorPlugin (opts: MirrorPluginOptions = {}) {
  return fp(async function mirrorPlugin (fastify) {
    const { config, store, depServers, metrics, scheduler } = fastify
    const runs = new Counter({
      name: 'depgate_inventory_sync_runs_total',
      help: 'Mirror sync runs on this replica, by server and result (ok, error)',
      labelNames: ['server', 'result'] as const,
      registers: [metrics.registry]
    })
    const changes = new Counter({
      name: 'depgate_inventory_changes_total',
      help: 'Mirror changes written by this replica, by server and operation',
      labelNames: ['server', 'op'] as const,
      registers: [metrics.registry]
    })
    const compacted = new Counter({
      name: 'depgate_inventory_feed_compacted_total',
      help: 'Change-feed entries deleted by compaction on this replica, by server and reason (superseded: the device changed again; expired: a removal past DEPGATE_FEED_RETENTION_DAYS)',
      labelNames: ['server', 'reason'] as const,
      registers: [metrics.registry]
    })
    const mirror = new Mirror({
      repo: store.mirror,
      servers: {
        names: () => depServers.list().map((s) => s.name),
        client: (name) => depServers.get(name).client,
        reload: async () => { await depServers.reload() }
      },
      enabled: config.mirror.enabled,
      intervalMs: config.mirror.intervalMs,
      leaseMs: config.mirror.leaseMs,
      pageSize: config.mirror.pageSize,
      feedRetentionMs: config.mirror.feedRetentionMs,
      fullSyncMinIntervalMs: config.mirror.fullSyncMinIntervalMs,
      retryBaseMs: opts.retryBaseMs ?? DEFAULT_RETRY_BASE_MS,
      pollMs: opts.pollMs ?? 1000,
      log: fastify.log,
      scheduler,
      // The same code and sentence an API caller would get for the error, fix included.
      describeError: (err) => {
        const { problem } = mapError(err)
        return { code: problem.code, message: problem.detail, status: problem.statusCode }
      },
      onRun (server, outcome) {
        runs.inc({ server, result: outcome.error === undefined ? 'ok' : 'error' })
        if (outcome.result === undefined) return
        for (const op of ['added', 'modified', 'removed'] as const) changes.inc({ server, op }, outcome.result[op])
        // A run with a result compacted the feed as it ended, unless that failed (logged; server-syncer.ts).
        if (outcome.compacted === undefined) return
        for (const reason of ['superseded', 'expired'] as const) compacted.inc({ server, reason }, outcome.compacted[reason])
      }
    })
    // One read of every status per scrape, shared by the six gauges below (server-gauges.ts).
    const gauge = serverGauges<MirrorStatus>({
      registry: metrics.registry,
      log: fastify.log,
      what: 'the mirror\'s status',
      read: async () => Object.entries(await mirror.statuses()),
      enabled: () => mirror.enabled
    })
    gauge('depgate_inventory_devices', 'Devices present in the mirror', (s) => s.device_count)
    gauge('depgate_inventory_ready', '1 once the first full fetch completed (reads come from the mirror)', (s) => Number(s.ready))
    gauge('depgate_inventory_lag_seconds', 'Seconds since the last successful sync', (s) => s.lag_seconds)
    gauge('depgate_inventory_cursor_age_seconds', 'Age of the stored cursor (Apple expires sync cursors after 7 days)', (s) => s.cursor_age_seconds)
    gauge('depgate_inventory_last_error', '1 when the last sync failed', (s) => Number(s.last_error !== null))
    gauge('depgate_inventory_leader', '1 when this replica holds the sync lease', (s) => Number(s.leader))

    fastify.decorate('mirror', mirror)
    // A page's device events are in the outbox now: delivered at once, not at the dispatcher's next tick (up to 1 s later).
    mirror.onPage(() => { fastify.webhooks.kick() })
    fastify.addHook('onReady', async () => { await mirror.start() })
    fastify.addHook('preClose', async () => { await mirror.stop() })
  }, { name: 'depgate-mirror', dependencies: ['depgate-config', 'depgate-scheduler', 'depgate-store', 'depgate-metrics', 'depgate-dep-servers', 'depgate-webhooks'] })
}
