// @slow: starts the compiled CLI
/**
 * The built `depgate` as a process whose reader stops early (`depgate keys list | head -1`): the
 * closed pipe must end the command quietly, not with an EPIPE stack trace. The listing is made
 * longer than a pipe's buffer (64 KiB on Linux), so the CLI is still writing when the reader leaves.
 */
import { spawn } from 'node:child_process'
import { existsSync } from 'node:fs'
import { join } from 'node:path'
import t from 'tap'
import { generateApiKey } from '../src/api-key-secrets.js'
import { openSecureStore } from '../src/bootstrap.js'
import { loadConfig } from '../src/config.js'
import { tempDir } from './helper.js'

const CLI = join(import.meta.dirname, '..', 'dist', 'src', 'cli.js')
if (!existsSync(CLI)) throw new Error(`${CLI} is missing: run npm run build (npm test does)`)

const KEYS = 2000 // about 110 bytes a line: over 200 KiB of table

/** Runs the CLI, reads its stdout up to the first newline, then closes the pipe, like `head -1`. */
async function firstLineThenClose (args: string[], env: Record<string, string>): Promise<{ line: string, stderr: string, code: number | null, signal: string | null }> {
  // A clean environment: no TypeScript loader or coverage hooks from tap in the child.
  const child = spawn(process.execPath, [CLI, ...args], { env: { PATH: process.env.PATH, ...env }, stdio: ['ignore', 'pipe', 'pipe'] })
  let out = ''
  let stderr = ''
  child.stderr.on('data', (chunk: Buffer) => { stderr += chunk.toString('utf8') })
  child.stdout.on('data', (chunk: Buffer) => {
    out += chunk.toString('utf8')
    if (out.includes('\n')) child.stdout.destroy()
  })
  const [code, signal] = await new Promise<[number | null, string | null]>((resolve) => child.once('close', (c, s) => resolve([c, s])))
  return { line: out.split('\n')[0]!, stderr, code, signal }
}

t.test('keys list into a reader that closes after one line: a quiet stop, exit 0', async (t) => {
  const dataDir = tempDir(t)
  const env = { DEPGATE_DATA_DIR: dataDir }
  const store = await openSecureStore(loadConfig(env))
  for (let i = 0; i < KEYS; i++) {
    const { id, hash } = generateApiKey()
    await store.keys.create({ id, label: `host-${i}`, scope: 'read', hash })
  }
  await store.close()

  for (const args of [['keys', 'list'], ['keys', 'list', '--json']]) {
    const run = await firstLineThenClose(args, env)
    t.match(run.line, args.includes('--json') ? /^\[$/ : /^ID\s+SCOPE/, `${args.join(' ')}: the reader got its line`)
    t.equal(run.stderr, '', `${args.join(' ')}: nothing on stderr (no EPIPE stack trace)`)
    t.same([run.code, run.signal], [0, null], `${args.join(' ')}: exit 0`)
  }
})
