/**
 * depgate as a real process for the process tests: `depgate serve` from the compiled build with a
 * clean environment against a simulator, a data dir of its own, killed (if still running) at teardown.
 */
import { type ChildProcess, spawn } from 'node:child_process'
import { randomBytes } from 'node:crypto'
import { existsSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import type { Test } from 'tap'
import { DEPSIM_CREDENTIALS } from '../src/simulator/index.js'
import type { Sim } from './dep/sim.js'
import { tempDir } from './helper.js'

export interface Depgate { child: ChildProcess, lines: string[], exited: Promise<void>, url: string }

const CLI = join(import.meta.dirname, '..', 'dist', 'src', 'cli.js')
if (!existsSync(CLI)) throw new Error(`${CLI} is missing: run npm run build (npm test does)`)

export function depgateEnv (t: Test, sim: Sim, extra: Record<string, string>): Record<string, string> {
  const dir = tempDir(t)
  const tokenFile = join(dir, 'token.json')
  writeFileSync(tokenFile, JSON.stringify(DEPSIM_CREDENTIALS))
  return {
    DEPGATE_HOST: '127.0.0.1',
    DEPGATE_PORT: '0',
    DEPGATE_DATA_DIR: dir,
    DEPGATE_ADMIN_KEY: randomBytes(32).toString('base64url'),
    DEPGATE_TOKEN_FILE: tokenFile,
    DEPGATE_DEP_URL: sim.url,
    DEPGATE_SIMULATOR: 'off',
    DEPGATE_LOG_LEVEL: 'info',
    DEPGATE_SYNC_INTERVAL: '5',
    DEPGATE_SYNC_LEASE: '3',
    DEPGATE_SYNC_PAGE_SIZE: '100',
    ...extra
  }
}

/** Starts `depgate serve` and resolves once it listens (`url`); killed (if still running) at teardown. */
export async function startDepgate (t: Test, env: Record<string, string>): Promise<Depgate> {
  // A clean environment: no TypeScript loader or coverage hooks from tap in the child.
  const child = spawn(process.execPath, [CLI, 'serve'], {
    env: { PATH: process.env.PATH, ...env },
    stdio: ['ignore', 'pipe', 'pipe']
  })
  const lines: string[] = []
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()))
  t.teardown(async () => {
    if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL')
    await exited
  })
  let buffered = ''
  const listening = new Promise<string>((resolve, reject) => {
    const onData = (chunk: Buffer): void => {
      buffered += chunk.toString('utf8')
      const parts = buffered.split('\n')
      buffered = parts.pop() ?? ''
      lines.push(...parts)
      const line = parts.find((l) => l.includes('depgate is listening on'))
      if (line !== undefined) resolve(/listening on (http:\/\/\S+)/.exec(line)![1]!)
    }
    child.stdout!.on('data', onData)
    child.stderr!.on('data', onData)
    exited.then(() => reject(new Error(`depgate exited before listening:\n${lines.join('\n')}`)), reject)
  })
  const url = await listening
  return { child, lines, exited, url }
}
