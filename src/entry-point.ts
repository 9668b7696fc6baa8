/**
 * Process wiring for the one script node is started with: `dist/src/cli.js`, the `depgate`
 * command (`npm start` and the Dockerfile run `depgate serve` through it). A second entry in
 * server.js could not work: cli.js imports openapi.js, which imports server.js, so server.js
 * awaiting cli.js at top level waited on itself and node exited with code 13.
 */
import { realpathSync } from 'node:fs'
import { fileURLToPath } from 'node:url'

/* c8 ignore start - process entry wiring (argv, exit code, stderr); tests call main() directly */
/** True when the module at `moduleUrl` is the script node was started with, not an import. */
export function isEntryPoint (moduleUrl: string): boolean {
  try {
    return process.argv[1] !== undefined && realpathSync(process.argv[1]) === fileURLToPath(moduleUrl)
  } catch {
    return false
  }
}

/**
 * Runs a command and turns its outcome into the process's exit code; an unexpected error prints
 * one line, no stack. A reader that stops early (`depgate keys list | head -1`) closes stdout: the
 * next write fails with EPIPE, which, unhandled, crashed with a stack trace. The reader has what it
 * wanted, so the rest of the output is dropped (a destroyed stream emits no further errors) and the
 * command finishes as it would have: its store closed, its exit code its own. Exiting at once
 * instead would skip those, and would end `serve` or `simulate` with 0, which no supervisor restarts.
 * The handler is installed before the command runs: `help` writes before its first await.
 */
export function exitWith (run: () => Promise<number>): void {
  process.stdout.on('error', (err: NodeJS.ErrnoException) => {
    if (err.code !== 'EPIPE') throw err
  })
  run().then((code) => { if (code !== 0) process.exitCode = code }, (err: unknown) => {
    process.stderr.write(`depgate: ${err instanceof Error ? err.message : String(err)}\n`)
    process.exitCode = 1
  })
}
/* c8 ignore stop */
