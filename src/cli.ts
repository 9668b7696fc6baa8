#!/usr/bin/env node
/**
 * `depgate`: serve (default), simulate, keys create|list|revoke, openapi, token, secrets rotate,
 * org import
 * (src/cli/program.ts describes them). Commands that touch the store open it directly (same
 * DEPGATE_DATA_DIR as the service; SQLite WAL lets both run).
 */
import { CommanderError } from 'commander'
import { processIo, type CliIo } from './cli/io.js'
import { buildProgram } from './cli/program.js'
import { ConfigError } from './config.js'
import { exitWith, isEntryPoint } from './entry-point.js'

export type { CliIo } from './cli/io.js'
export { buildProgram } from './cli/program.js'

/** Refusals whose message is written for the admin (no secrets in them): exit 1, one line. */
const REFUSALS = new Set(['TokenError', 'ServerTokenError', 'StartRefusal', 'RotateRefusal'])

/** A Node system error (ENOENT, EEXIST, EACCES…): its message names the path and the reason. */
function isSystemError (err: unknown): err is NodeJS.ErrnoException {
  return err instanceof Error && typeof (err as NodeJS.ErrnoException).syscall === 'string'
}

/** Runs one command; resolves to the exit code (`serve` and `simulate` resolve once started). */
export async function main (argv: string[], io: CliIo = processIo()): Promise<number> {
  let code = 0
  const program = buildProgram(io, (c) => { code = c })
  try {
    await program.parseAsync(argv.length === 0 ? ['serve'] : argv, { from: 'user' })
    return code
  } catch (err) {
    // commander has printed the message (and the usage); --help and --version end here with 0.
    if (err instanceof CommanderError) return err.exitCode === 0 ? 0 : 2
    if (REFUSALS.has((err as Error).name) || isSystemError(err)) {
      const errCode = (err as { code?: unknown }).code
      io.stderr(`depgate: ${typeof errCode === 'string' ? `${errCode}: ` : ''}${(err as Error).message}\n`)
      return 1
    }
    if (err instanceof ConfigError) {
      io.stderr(`depgate: ${err.message}\n`)
      return 2
    }
    throw err
  }
}

/* c8 ignore next - the process entry point; tests call main() */
if (isEntryPoint(import.meta.url)) exitWith(() => main(process.argv.slice(2)))
