/**
 * How benches record a figure for the report. Each call prints one readable line; when the env
 * variable BENCH_RESULTS names a file (bench/run.ts sets it), it also appends one JSON line there,
 * which run.ts turns into bench/results.md. A bench run alone (`node dist/bench/x.js`) just prints.
 *
 *   recordFigure({ bench: 'proxy', name: 'account req/s', value: 3055, unit: 'req/s',
 *     baseline: { name: 'direct', value: 12863 }, target: 'ratio ≥ 0.35', met: false })
 */
import { appendFileSync } from 'node:fs'

export interface Figure {
  /** The bench script's name (`proxy`, `drain`, `load`, `inventory`). */
  bench: string
  /** What was measured, e.g. `account req/s, 50 connections`. */
  name: string
  value: number
  /** `req/s`, `ms`, `MiB`, `s`, `µs`, `%`, `count` … */
  unit: string
  /** The comparison measured in the same run, in the same unit. */
  baseline?: { name: string, value: number }
  /** value / baseline.value unless given (e.g. when lower is better and the bench inverts it). */
  ratio?: number
  /** The goal in words, e.g. `ratio ≥ 0.35` or `< 64 MiB`. */
  target?: string
  /** Whether the target was met (the bench decides; the report only shows it). */
  met?: boolean
  /** Anything a reader needs to interpret the figure. */
  note?: string
}

/** A recorded figure as written to BENCH_RESULTS (ratio filled in, time stamped). */
export interface FigureLine extends Figure { at: string }

function formatNumber (n: number): string {
  if (!Number.isFinite(n)) return String(n)
  if (Math.abs(n) >= 100) return Math.round(n).toLocaleString('en-US')
  if (Math.abs(n) >= 10) return n.toFixed(1)
  return n.toFixed(2)
}

export function formatValue (value: number, unit: string): string {
  return `${formatNumber(value)} ${unit}`.trim()
}

/** The ratio to report: the bench's own, else value / baseline (undefined without a baseline). */
export function ratioOf (f: Figure): number | undefined {
  if (f.ratio !== undefined) return f.ratio
  if (f.baseline === undefined || f.baseline.value === 0) return undefined
  return f.value / f.baseline.value
}

export function figureLine (f: Figure): string {
  const parts = [`[${f.bench}] ${f.name}: ${formatValue(f.value, f.unit)}`]
  const ratio = ratioOf(f)
  if (f.baseline !== undefined) parts.push(`baseline ${f.baseline.name} ${formatValue(f.baseline.value, f.unit)}`)
  if (ratio !== undefined) parts.push(`ratio ${ratio.toFixed(2)}`)
  if (f.target !== undefined) parts.push(`target ${f.target}${f.met === undefined ? '' : f.met ? ' (met)' : ' (NOT met)'}`)
  if (f.note !== undefined) parts.push(f.note)
  return parts.join('  ·  ')
}

export function recordFigure (f: Figure): FigureLine {
  const ratio = ratioOf(f)
  const line: FigureLine = { ...f, ratio, at: new Date().toISOString() }
  console.log(figureLine(f))
  const file = process.env.BENCH_RESULTS
  if (file !== undefined && file !== '') appendFileSync(file, JSON.stringify(line) + '\n')
  return line
}
