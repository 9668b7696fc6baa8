/**
 * Per-server gauges fed by one database read per scrape: every gauge of a family shares the
 * snapshot taken when the first of them is collected, dropped once the scrape's collection is
 * over. A failed read (database down) leaves the family out of that scrape instead of failing
 * it: the rest of /metrics matters most then.
 */
import { Gauge, type Registry } from 'prom-client'
import type { FastifyBaseLogger } from 'fastify'

export interface ServerGaugeOptions<S> {
  registry: Registry
  log: FastifyBaseLogger
  /** What could not be read, for the warning ("the mirror's status"). */
  what: string
  /** The rows for this scrape, each with the server it describes. */
  read: () => Promise<Array<[server: string, row: S]>>
  /** Checked at each scrape: when false the gauges are empty. */
  enabled: () => boolean
}

export type ServerGaugeFactory<S> = (name: string, help: string, value: (row: S) => number | null) => Gauge<'server'>

export function serverGauges<S> (opts: ServerGaugeOptions<S>): ServerGaugeFactory<S> {
  let snapshot: Promise<Array<[string, S]>> | undefined
  const rows = async (): Promise<Array<[string, S]>> => {
    if (snapshot === undefined) {
      snapshot = opts.read().catch((err: unknown) => {
        opts.log.warn({ err }, `metrics: could not read ${opts.what}; its gauges are left out of this scrape`)
        return []
      })
      setImmediate(() => { snapshot = undefined })
    }
    return await snapshot
  }
  return (name, help, value) => new Gauge({
    name,
    help,
    labelNames: ['server'] as const,
    registers: [opts.registry],
    async collect () {
      this.reset()
      if (!opts.enabled()) return
      for (const [server, row] of await rows()) {
        const v = value(row)
        if (v !== null) this.set({ server }, v)
      }
    }
  })
}
