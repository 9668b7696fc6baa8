import { parseArgs } from 'node:util'
import { DEPSIM_CREDENTIALS } from './options.js'
import { startSimulator } from './start.js'

export const SIMULATE_USAGE = `Usage: depgate simulate [options]

Runs a local simulator of Apple's DEP (Automated Device Enrollment) API.

  --host <addr>          listen address (default 127.0.0.1; the control API has no auth)
  --port <n>             port (default 8080, 0 = any free port)
  --devices <n>          devices generated at start (default 500)
  --seed <n>             generator seed (default 1)
  --session-ttl <sec>    session lifetime in seconds (default 180)
  --rotate-sessions      send a fresh X-ADM-Auth-Session header on every answer
  --quote-errors         depsim-style "CODE" error bodies
  --log                  Fastify request logging
  -h, --help             this text
`

export interface SimulateIo {
  /** Where the start banner goes (default stdout). */
  out?: (line: string) => void
  /** Where SIGINT / SIGTERM come from (default the process). */
  signals?: NodeJS.EventEmitter
}

function integer (name: string, value: string | undefined, fallback: number, min: number): number {
  if (value === undefined) return fallback
  if (!/^\d+$/.test(value) || Number(value) < min) throw new Error(`--${name} must be an integer ≥ ${min}`)
  return Number(value)
}

/**
 * `depgate simulate`: starts the simulator, prints its URL and credentials as one JSON line, and
 * resolves once a signal has closed it (so a caller awaiting it keeps the process alive).
 */
export async function runSimulateCommand (argv: string[], io: SimulateIo = {}): Promise<void> {
  const out = io.out ?? ((line: string) => { process.stdout.write(`${line}\n`) })
  const { values } = parseArgs({
    args: argv,
    strict: true,
    options: {
      host: { type: 'string', default: '127.0.0.1' },
      port: { type: 'string' },
      devices: { type: 'string' },
      seed: { type: 'string' },
      'session-ttl': { type: 'string' },
      'rotate-sessions': { type: 'boolean', default: false },
      'quote-errors': { type: 'boolean', default: false },
      log: { type: 'boolean', default: false },
      help: { type: 'boolean', short: 'h', default: false }
    }
  })
  if (values.help) return out(SIMULATE_USAGE)
  const sim = await startSimulator({
    host: values.host,
    port: integer('port', values.port, 8080, 0),
    devices: integer('devices', values.devices, 500, 0),
    seed: integer('seed', values.seed, 1, 0),
    sessionTtlMs: integer('session-ttl', values['session-ttl'], 180, 1) * 1000,
    rotateSessions: values['rotate-sessions'],
    quoteErrors: values['quote-errors'],
    logger: values.log
  })
  // The depsim credentials are public test values, so printing them is fine (and expected).
  out(JSON.stringify({ url: sim.url, control: `${sim.url}/_sim`, credentials: DEPSIM_CREDENTIALS }))
  const signals = io.signals ?? process
  await new Promise<void>((resolve) => {
    const stop = (): void => {
      signals.off('SIGINT', stop)
      signals.off('SIGTERM', stop)
      sim.close().then(resolve, resolve)
    }
    signals.on('SIGINT', stop)
    signals.on('SIGTERM', stop)
  })
}
