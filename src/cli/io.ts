/** What a `depgate` command reads and writes: passed in, so tests run commands in-process. */
import { createInterface } from 'node:readline/promises'

export interface CliIo {
  stdout: (text: string) => void
  stderr: (text: string) => void
  env: Record<string, string | undefined>
  /**
   * Asks a yes/no question on a terminal; absent when there is none (a script, a pipe), so a
   * dangerous command can refuse instead of waiting for an answer nobody will type.
   */
  confirm?: (question: string) => Promise<boolean>
  /** Where SIGINT / SIGTERM come from for `simulate` (default the process). */
  signals?: NodeJS.EventEmitter
}

/* c8 ignore start - the process's own streams and terminal; tests pass their own io */
async function askTerminal (question: string): Promise<boolean> {
  const rl = createInterface({ input: process.stdin, output: process.stderr })
  try {
    return /^y(es)?$/i.test((await rl.question(question)).trim())
  } finally {
    rl.close()
  }
}

export function processIo (): CliIo {
  const io: CliIo = {
    stdout: (t) => { process.stdout.write(t) },
    stderr: (t) => { process.stderr.write(t) },
    env: process.env
  }
  if (process.stdin.isTTY && process.stderr.isTTY) io.confirm = askTerminal
  return io
}
/* c8 ignore stop */
