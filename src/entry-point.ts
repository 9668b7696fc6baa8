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

/** Turns a command's outcome into the process's exit code; an unexpected error prints one line, no stack. */
export function exitWith (run: Promise<number>): void {
  run.then((code) => { if (code !== 0) process.exitCode = code }, (err: unknown) => {
    process.stderr.write(`depgate: ${err instanceof Error ? err.message : String(err)}\n`)
    process.exitCode = 1
  })
}
/* c8 ignore stop */
