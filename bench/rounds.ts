/**
 * A figure and its baseline measured in alternating rounds (baseline, subject, baseline, subject …)
 * with medians per side. On a shared 2-core box throughput drifts by a third within minutes, and
 * two back-to-back runs can each catch a different minute; alternating gives both sides the same
 * machine, and the median drops the round that caught a burst of someone else's work.
 */
import { readFileSync } from 'node:fs'
import autocannon, { type Options } from 'autocannon'

export interface Side {
  label: string
  opts: Options
  /** Processes whose CPU time is charged per request of this side (name → pid). */
  pids: Record<string, number | undefined>
}

export interface SideResult {
  /** Medians over the rounds. */
  rps: number
  p50: number
  p99: number
  /** CPU µs per request, by process name. */
  cpuUs: Record<string, number>
  /** Errors and timeouts over all rounds (a non-2xx answer stops the bench: it is a bench bug). */
  failed: number
}

/** CPU time (user + system) of a process in µs (Linux /proc, 10 ms clock ticks). */
export function cpuMicros (pid: number | undefined): number {
  const fields = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1].split(' ')
  return (Number(fields[11]) + Number(fields[12])) * 10_000
}

export function median (values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b)
  const mid = sorted.length >> 1
  return sorted.length % 2 === 1 ? sorted[mid] : (sorted[mid - 1] + sorted[mid]) / 2
}

/** Warms every side up, then runs `rounds` rounds of `seconds` each, the sides in turn; prints every round. */
export async function alternate (sides: Side[], rounds: number, seconds: number, warmupSeconds = 2): Promise<SideResult[]> {
  // Warm-up: connections, JIT, caches (depgate's session with Apple, SQLite's pages).
  for (const side of sides) await autocannon({ ...side.opts, duration: warmupSeconds })
  const runs: Array<Array<{ rps: number, p50: number, p99: number, cpuUs: Record<string, number>, failed: number }>> = sides.map(() => [])
  for (let round = 1; round <= rounds; round++) {
    for (const [i, side] of sides.entries()) {
      const before = Object.fromEntries(Object.entries(side.pids).map(([name, pid]) => [name, cpuMicros(pid)]))
      const r = await autocannon({ ...side.opts, duration: seconds })
      if (r.non2xx > 0) throw new Error(`${side.label}: ${r.non2xx} non-2xx answers`)
      const cpuUs = Object.fromEntries(Object.entries(side.pids).map(([name, pid]) => [name, (cpuMicros(pid) - before[name]) / r.requests.total]))
      const failed = r.errors + r.timeouts
      runs[i].push({ rps: r.requests.average, p50: r.latency.p50, p99: r.latency.p99, cpuUs, failed })
      const cpuText = Object.entries(cpuUs).map(([name, us]) => `${name} ${us.toFixed(0)} µs`).join(', ')
      console.log(`round ${round}  ${side.label.padEnd(28)} ${r.requests.average.toFixed(0).padStart(7)} req/s  p50 ${String(r.latency.p50).padStart(3)} ms  p99 ${String(r.latency.p99).padStart(4)} ms  CPU/req: ${cpuText}${failed > 0 ? `  ${r.errors} errors, ${r.timeouts} timeouts` : ''}`)
    }
  }
  return runs.map((rs) => ({
    rps: median(rs.map((r) => r.rps)),
    p50: median(rs.map((r) => r.p50)),
    p99: median(rs.map((r) => r.p99)),
    cpuUs: Object.fromEntries(Object.keys(rs[0].cpuUs).map((name) => [name, median(rs.map((r) => r.cpuUs[name]))])),
    failed: rs.reduce((sum, r) => sum + r.failed, 0)
  }))
}

export const pause = async (ms: number): Promise<void> => { await new Promise((resolve) => setTimeout(resolve, ms)) }

/** Calls `fn` every `everyMs` until it answers something other than false or undefined; throws after `timeoutMs`. */
export async function poll<T> (what: string, fn: () => Promise<T | false | undefined> | T | false | undefined, timeoutMs: number, everyMs = 100): Promise<T> {
  const end = Date.now() + timeoutMs
  for (;;) {
    const v = await fn()
    if (v !== false && v !== undefined) return v
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`)
    await pause(everyMs)
  }
}
