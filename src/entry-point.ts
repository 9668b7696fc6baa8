/**
 * Process wiring shared by the two scripts node can be started with: `dist/src/cli.js` (the
 * `depgate` command) and `dist/src/server.js` (the Dockerfile's CMD).
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

/** Turns a command's outcome into the process's exit code; an unexpected error prints one line, no stack. */
export function exitWith (run: Promise<number>): void {
  run.then((code) => { if (code !== 0) process.exitCode = code }, (err: unknown) => {
    process.stderr.write(`depgate: ${err instanceof Error ? err.message : String(err)}\n`)
    process.exitCode = 1
  })
}
/* c8 ignore stop */
