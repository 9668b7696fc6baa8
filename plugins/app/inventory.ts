/**
 * The device mirror as `fastify.inventory`: syncers start once the app is ready (never during
 * registration, so a slow Apple cannot delay listen) and stop, releasing their leases, at close.
 * Prometheus gauges read the last statuses, refreshed by a cheap collect at scrape time.
 */
import fp from 'fastify-plugin'
import { Counter, Gauge } from 'prom-client'
import { Inventory, type InventoryStatus } from '../../src/inventory/inventory.js'
import { DEFAULT_RETRY_BASE_MS } from '../../src/inventory/server-syncer.js'
import { mapError } from './error-mapping.js'

export type { InventoryStatus } from '../../src/inventory/inventory.js'

declare module 'fastify' {
  interface FastifyInstance {
    /** The device mirror: statuses, sync requests, change-feed wake-ups. */
    inventory: Inventory
  }
}

export interface InventoryPluginOptions {
  /** First retry delay after a failed sync (tests shorten it). */
  retryBaseMs?: number
  /** Long-poll re-read period (default 1 s; tests shorten it). */
  pollMs?: number
}

export function createInventoryPlugin (opts: InventoryPluginOptions = {}) {
  return fp(async function inventoryPlugin (fastify) {
    const { config, store, depServers, metrics, scheduler } = fastify
    const runs = new Counter({
      name: 'depgate_inventory_sync_runs_total',
      help: 'Inventory sync runs on this replica, by server and result (ok, error)',
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
    const inventory = new Inventory({
      repo: store.inventory,
      servers: {
        names: () => depServers.list().map((s) => s.name),
        client: (name) => depServers.get(name).client,
        reload: async () => { await depServers.reload() }
      },
      enabled: config.inventory.enabled,
      intervalMs: config.inventory.intervalMs,
      leaseMs: config.inventory.leaseMs,
      pageSize: config.inventory.pageSize,
      feedRetentionMs: config.inventory.feedRetentionMs,
      retryBaseMs: opts.retryBaseMs ?? DEFAULT_RETRY_BASE_MS,
      pollMs: opts.pollMs ?? 1000,
      log: fastify.log,
      scheduler,
      // The same code and sentence an API caller would get for the error, fix included.
      describeError: (err) => {
        const { problem } = mapError(err)
        return { code: problem.code, message: problem.detail }
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
    // One read of every status per scrape, shared by the six gauges below. A scrape while the
    // database is down leaves them out instead of failing: the rest of /metrics matters most then.
    let snapshot: Promise<Record<string, InventoryStatus>> | undefined
    const statuses = async (): Promise<Record<string, InventoryStatus>> => {
      if (snapshot === undefined) {
        snapshot = inventory.statuses().catch((err: unknown) => {
          fastify.log.warn({ err }, 'metrics: could not read the mirror\'s status; its gauges are left out of this scrape')
          return {}
        })
        setImmediate(() => { snapshot = undefined })
      }
      return await snapshot
    }
    const gauge = (name: string, help: string, value: (s: InventoryStatus) => number | null): Gauge<'server'> => new Gauge({
      name,
      help,
      labelNames: ['server'] as const,
      registers: [metrics.registry],
      async collect () {
        this.reset()
        if (!inventory.enabled) return
        for (const [server, status] of Object.entries(await statuses())) {
          const v = value(status)
          if (v !== null) this.set({ server }, v)
        }
      }
    })
    gauge('depgate_inventory_devices', 'Devices present in the mirror', (s) => s.device_count)
    gauge('depgate_inventory_ready', '1 once the first full fetch completed (reads come from the mirror)', (s) => Number(s.ready))
    gauge('depgate_inventory_lag_seconds', 'Seconds since the last successful sync', (s) => s.lag_seconds)
    gauge('depgate_inventory_cursor_age_seconds', 'Age of the stored cursor (Apple expires sync cursors after 7 days)', (s) => s.cursor_age_seconds)
    gauge('depgate_inventory_last_error', '1 when the last sync failed', (s) => Number(s.last_error !== null))
    gauge('depgate_inventory_leader', '1 when this replica holds the sync lease', (s) => Number(s.leader))

    fastify.decorate('inventory', inventory)
    fastify.addHook('onReady', async () => { await inventory.start() })
    fastify.addHook('preClose', async () => { await inventory.stop() })
  }, { name: 'depgate-inventory', dependencies: ['depgate-config', 'depgate-scheduler', 'depgate-store', 'depgate-metrics', 'depgate-dep-servers'] })
}
