/**
 * A counter and a histogram for the per-request series, cheaper to update than prom-client's:
 * the caller names the series by a string key it already has (no label object to hash and
 * validate on every observation) and an update is a Map lookup and an addition. They register in
 * a prom-client Registry as ordinary metrics and print in the same text format at scrape time.
 */
import type { Metric, Registry } from 'prom-client'

type MetricType = 'counter' | 'histogram'

interface MetricValue { labels: Record<string, string | number>, value: number, metricName?: string }

export abstract class Series<S extends { labels: Record<string, string> }> {
  readonly aggregator = 'sum'
  protected series = new Map<string, S>()
  abstract readonly type: MetricType

  constructor (readonly name: string, readonly help: string, registry: Registry) {
    // prom-client's Registry only needs name, help, type, get() and reset(); its types list its own classes.
    registry.registerMetric(this as unknown as Metric)
  }

  reset (): void {
    this.series.clear()
  }

  /** Drops every series whose labels match, e.g. those of a deleted DEP server. */
  dropWhere (match: (labels: Record<string, string>) => boolean): void {
    for (const [key, s] of this.series) if (match(s.labels)) this.series.delete(key)
  }

  protected abstract values (): MetricValue[]

  async get (): Promise<{ name: string, help: string, type: MetricType, aggregator: 'sum', values: MetricValue[] }> {
    return { name: this.name, help: this.help, type: this.type, aggregator: this.aggregator, values: this.values() }
  }
}

/** A counter whose series are named by `key`; `labels` is only called the first time a key is seen. */
export class KeyedCounter extends Series<{ labels: Record<string, string>, value: number }> {
  readonly type = 'counter' as const

  inc (key: string, labels: () => Record<string, string>): void {
    const s = this.series.get(key)
    if (s === undefined) this.series.set(key, { labels: labels(), value: 1 })
    else s.value++
  }

  protected values (): MetricValue[] {
    return [...this.series.values()].map((s) => ({ labels: s.labels, value: s.value }))
  }
}

interface HistogramSeries { labels: Record<string, string>, counts: number[], sum: number, count: number }

/** A histogram with fixed buckets whose series are named by `key`. */
export class KeyedHistogram extends Series<HistogramSeries> {
  readonly type = 'histogram' as const

  constructor (name: string, help: string, registry: Registry, private readonly buckets: readonly number[]) {
    super(name, help, registry)
  }

  observe (key: string, labels: () => Record<string, string>, value: number): void {
    let s = this.series.get(key)
    if (s === undefined) {
      s = { labels: labels(), counts: new Array<number>(this.buckets.length).fill(0), sum: 0, count: 0 }
      this.series.set(key, s)
    }
    const b = this.buckets
    for (let i = 0; i < b.length; i++) {
      if (value <= b[i]) {
        s.counts[i]++
        break
      }
    }
    s.sum += value
    s.count++
  }

  protected values (): MetricValue[] {
    const out: MetricValue[] = []
    for (const s of this.series.values()) {
      let cumulative = 0
      this.buckets.forEach((le, i) => {
        cumulative += s.counts[i]
        out.push({ labels: { le, ...s.labels }, value: cumulative, metricName: `${this.name}_bucket` })
      })
      out.push({ labels: { le: '+Inf', ...s.labels }, value: s.count, metricName: `${this.name}_bucket` })
      out.push({ labels: s.labels, value: s.sum, metricName: `${this.name}_sum` })
      out.push({ labels: s.labels, value: s.count, metricName: `${this.name}_count` })
    }
    return out
  }
}
