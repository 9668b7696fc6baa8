import { InvalidArgumentError, type Command } from 'commander'
import { DEPSIM_CREDENTIALS } from './options.js'
import { startSimulator } from './start.js'

export interface SimulateIo {
  /** Where the start banner goes (default stdout). */
  out?: (line: string) => void
  /** Where SIGINT / SIGTERM come from (default the process). */
  signals?: NodeJS.EventEmitter
}

export interface SimulateOptions {
  host: string
  port: number
  devices: number
  /** Devices of the AxM organisation that are not on the DEP server (default 100). */
  orgDevices?: number
  seed: number
  sessionTtl: number
  rotateSessions?: boolean
  quoteErrors?: boolean
  log?: boolean
}

/** commander's parser for a whole-number option of at least `min`. */
function integer (min: number): (value: string) => number {
  return (value) => {
    if (!/^\d+$/.test(value) || Number(value) < min) throw new InvalidArgumentError(`must be an integer ≥ ${min}.`)
    return Number(value)
  }
}

/** Adds `simulate`, its options and its action to `parent` (the `depgate` program). */
export function defineSimulateCommand (parent: Command, io: SimulateIo = {}): Command {
  return parent.command('simulate')
    .description("run a local simulator of Apple's DEP (Automated Device Enrollment) and Apple Business Manager APIs alone")
    .option('--host <addr>', 'listen address (the control API has no auth)', '127.0.0.1')
    .option('--port <n>', 'port (0 = any free port)', integer(0), 8080)
    .option('--devices <n>', 'devices generated at start', integer(0), 500)
    .option('--org-devices <n>', 'organisation devices not on the DEP server (AxM API)', integer(0), 100)
    .option('--seed <n>', 'generator seed', integer(0), 1)
    .option('--session-ttl <sec>', 'session lifetime in seconds', integer(1), 180)
    .option('--rotate-sessions', 'send a fresh X-ADM-Auth-Session header on every answer')
    .option('--quote-errors', 'depsim-style "CODE" error bodies')
    .option('--log', 'Fastify request logging')
    .action(async (opts: SimulateOptions) => { await runSimulateCommand(opts, io) })
}

/**
 * `depgate simulate`: starts the simulator, prints its URL and credentials as one JSON line, and
 * resolves once a signal has closed it (so a caller awaiting it keeps the process alive).
 */
export async function runSimulateCommand (opts: SimulateOptions, io: SimulateIo = {}): Promise<void> {
  const out = io.out ?? ((line: string) => { process.stdout.write(`${line}\n`) })
  const sim = await startSimulator({
    host: opts.host,
    port: opts.port,
    devices: opts.devices,
    orgDevices: opts.orgDevices,
    seed: opts.seed,
    sessionTtlMs: opts.sessionTtl * 1000,
    rotateSessions: opts.rotateSessions === true,
    quoteErrors: opts.quoteErrors === true,
    logger: opts.log === true
  })
  // The depsim credentials are public test values, so printing them is fine (and expected).
  // AxM: the API and token URLs to configure; POST the keys URL for an API account and its key.
  const axm = { baseUrl: sim.url, tokenUrl: `${sim.url}/auth/oauth2/token`, newAccount: `${sim.url}/_sim/axm/keys` }
  out(JSON.stringify({ url: sim.url, control: `${sim.url}/_sim`, credentials: DEPSIM_CREDENTIALS, axm }))
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
