// autocannon ships no types; only the part of its API the benchmarks use.
declare module 'autocannon' {
  export interface Histogram { average: number, p50: number, p99: number, max: number }
  export interface Result { requests: Histogram & { total: number }, latency: Histogram, errors: number, timeouts: number, non2xx: number, '2xx': number }
  export interface Options { url: string, connections?: number, duration?: number, pipelining?: number, headers?: Record<string, string>, requests?: Array<{ method: string, path: string }> }
  function autocannon (opts: Options): Promise<Result>
  export default autocannon
}
