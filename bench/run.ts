/**
 * `npm run bench`: runs every benchmark as its own child process (so one bench's heap, sockets and
 * JIT state cannot colour the next), collects the figures they record through figures.ts, and
 * writes bench/results.md: each figure with its same-run baseline, the ratio, the target and
 * whether it was met, the machine, and how long each bench took.
 *
 *   npm run bench                      # all of them
 *   node dist/bench/run.js drain load  # some of them (after npx tsc -p bench/tsconfig.json)
 *
 * A bench listed here whose compiled script does not exist yet (inventory, until the mirror lands)
 * is reported as skipped. A bench that fails is reported with its exit code and the run goes on.
 */
import { spawn } from 'node:child_process'
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { cpus, freemem, loadavg, release, tmpdir, totalmem, type as osType } from 'node:os'
import { dirname, join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { figureLine, formatValue, type FigureLine } from './figures.js'

/** Every bench, in the order they run, with its arguments for the report-sized run. */
export const BENCHES: Array<{ name: string, args: string[], about: string }> = [
  { name: 'proxy', args: [], about: 'depgate in front of one cheap Apple call vs. the simulator called directly' },
  { name: 'drain', args: [], about: '100,000 devices drained as JSON and as NDJSON: time and peak memory' },
  { name: 'load', args: [], about: '200 concurrent clients, mixed reads and writes, 5 % of Apple calls faulted' },
  { name: 'inventory', args: [], about: 'the device mirror' },
  { name: 'dashboard', args: [], about: 'the dashboard\'s device table on 100,000 devices: render time, RSS over 1,000 loads' },
  // The default sync interval (900 s) is left out: five rounds of it take over an hour.
  { name: 'assign', args: ['20000', '5', '60'], about: 'the assignment engine: a new device to its profile, the backfill of 20,000 devices' },
  { name: 'orgs', args: ['100000', '600'], about: 'the org mirror: first refresh of 100,000 organisation devices at a raised request budget' },
  { name: 'webhooks', args: ['5000', '5', '10'], about: 'webhook delivery: 5,000 queued events drained to a local receiver; a new device to its device.added webhook' },
  { name: 'org-events', args: ['20000', '5'], about: 'what org_device.* webhook events add to the org mirror\'s writes of 20,000 devices' },
  { name: 'org-join', args: [], about: 'a device read of a server linked to its org (the org mirror joined in) vs. an unlinked server' }
]

const here = dirname(fileURLToPath(import.meta.url))
// dist/bench/run.js → the repository's bench/ folder.
const RESULTS_MD = join(here, '..', '..', 'bench', 'results.md')

interface Outcome { name: string, status: 'ok' | 'failed' | 'skipped', seconds: number, exitCode?: number | null }

async function runBench (name: string, args: string[], resultsFile: string): Promise<Outcome> {
  const script = join(here, `${name}.js`)
  if (!existsSync(script)) return { name, status: 'skipped', seconds: 0 }
  console.log(`\n=== ${name} ${args.join(' ')}`)
  const started = process.hrtime.bigint()
  const child = spawn(process.execPath, ['--expose-gc', script, ...args], { stdio: 'inherit', env: { ...process.env, BENCH_RESULTS: resultsFile } })
  const exitCode = await new Promise<number | null>((resolve) => child.once('exit', resolve))
  const seconds = Number(process.hrtime.bigint() - started) / 1e9
  return { name, status: exitCode === 0 ? 'ok' : 'failed', seconds, exitCode }
}

function machine (): string[] {
  const cpu = cpus()
  return [
    `- CPU: ${cpu[0]?.model.trim() ?? 'unknown'}, ${cpu.length} logical cores`,
    `- Memory: ${(totalmem() / 2 ** 30).toFixed(1)} GiB (${(freemem() / 2 ** 30).toFixed(1)} GiB free at the start)`,
    `- Node ${process.version} on ${osType()} ${release()}`,
    `- Load average at the start: ${loadavg().map((l) => l.toFixed(2)).join(', ')} (other work on the machine skews throughput figures)`
  ]
}

const cell = (s: string): string => s.replace(/\|/g, '\\|')

export function report (figures: FigureLine[], outcomes: Outcome[], startedAt: Date, machineLines: string[]): string {
  const lines = [
    '# Benchmark results',
    '',
    `Written by \`npm run bench\` (bench/run.ts) on ${startedAt.toISOString().slice(0, 16).replace('T', ' ')} UTC. Every baseline was measured in the same run, on the same machine. How to run and what each bench measures: [README.md](README.md).`,
    '',
    '## Machine',
    '',
    ...machineLines,
    '',
    '## Figures',
    '',
    '| bench | figure | value | baseline (same run) | ratio | target | met |',
    '|---|---|---|---|---|---|---|'
  ]
  for (const f of figures) {
    const baseline = f.baseline === undefined ? '' : `${cell(f.baseline.name)}: ${formatValue(f.baseline.value, f.unit)}`
    const met = f.met === undefined ? '' : f.met ? 'yes' : '**no**'
    lines.push(`| ${f.bench} | ${cell(f.name)}${f.note === undefined ? '' : ` (${cell(f.note)})`} | ${formatValue(f.value, f.unit)} | ${baseline} | ${f.ratio === undefined ? '' : f.ratio.toFixed(2)} | ${cell(f.target ?? '')} | ${met} |`)
  }
  lines.push('', '## Benches', '', '| bench | what | outcome | took |', '|---|---|---|---|')
  for (const o of outcomes) {
    const about = BENCHES.find((b) => b.name === o.name)?.about ?? ''
    const outcome = o.status === 'failed' ? `**failed** (exit ${String(o.exitCode)})` : o.status === 'skipped' ? 'skipped (no script yet)' : 'ok'
    lines.push(`| ${o.name} | ${about} | ${outcome} | ${o.status === 'skipped' ? '' : `${o.seconds.toFixed(0)} s`} |`)
  }
  return lines.join('\n') + '\n'
}

async function main (argv: string[]): Promise<number> {
  const chosen = argv.length === 0 ? BENCHES : BENCHES.filter((b) => argv.includes(b.name))
  const dir = mkdtempSync(join(tmpdir(), 'depgate-bench-results-'))
  const resultsFile = join(dir, 'figures.jsonl')
  writeFileSync(resultsFile, '')
  const startedAt = new Date()
  const machineLines = machine()
  const outcomes: Outcome[] = []
  try {
    for (const b of chosen) outcomes.push(await runBench(b.name, b.args, resultsFile))
    const figures = readFileSync(resultsFile, 'utf8').split('\n').filter((l) => l !== '').map((l) => JSON.parse(l) as FigureLine)
    writeFileSync(RESULTS_MD, report(figures, outcomes, startedAt, machineLines))
    console.log(`\n${figures.length} figures → ${RESULTS_MD}`)
    for (const f of figures) console.log(`  ${figureLine(f)}`)
    for (const o of outcomes) console.log(`  ${o.name}: ${o.status}${o.status === 'skipped' ? '' : ` in ${o.seconds.toFixed(1)} s`}`)
  } finally {
    rmSync(dir, { recursive: true, force: true })
  }
  return outcomes.some((o) => o.status === 'failed') ? 1 : 0
}

if (process.argv[1] === fileURLToPath(import.meta.url)) process.exitCode = await main(process.argv.slice(2))
