// @slow: starts node processes (depgate serve from the build, or a throwaway one for a dead PID)
/**
 * Two real `depgate serve` processes on one SQLite data directory: the second exits 1 naming
 * DEPGATE_DATA_DIR and PostgreSQL while the first keeps serving; `secrets rotate` refuses while it
 * serves. The files the first made are its user's only.
 */
import { spawn } from 'node:child_process'
import { existsSync, statSync } from 'node:fs'
import { join } from 'node:path'
import t from 'tap'
import { main } from '../src/cli.js'
import { cliIo, tempDir } from './helper.js'

const CLI = join(import.meta.dirname, '..', 'dist', 'src', 'cli.js')
if (!existsSync(CLI)) throw new Error(`${CLI} is missing: run npm run build (npm test does)`)

function serve (env: Record<string, string>): { output: Promise<string>, exited: Promise<number | null>, listening: Promise<string>, kill: (signal: NodeJS.Signals) => void } {
  // A clean environment: no TypeScript loader or coverage hooks from tap in the child.
  const child = spawn(process.execPath, [CLI, 'serve'], { env: { PATH: process.env.PATH, ...env }, stdio: ['ignore', 'pipe', 'pipe'] })
  let text = ''
  let onText: () => void = () => {}
  const collect = (chunk: Buffer): void => { text += chunk.toString('utf8'); onText() }
  child.stdout.on('data', collect)
  child.stderr.on('data', collect)
  const exited = new Promise<number | null>((resolve) => child.once('close', (code) => resolve(code)))
  const listening = new Promise<string>((resolve, reject) => {
    onText = () => {
      const url = /depgate is listening on (http:\/\/\S+)/.exec(text)?.[1]
      if (url !== undefined) resolve(url)
    }
    exited.then(() => reject(new Error(`exited before listening:\n${text}`)), reject)
  })
  listening.catch(() => {}) // the refused second serve never listens; whoever awaits it still sees the rejection
  return { output: exited.then(() => text), exited, listening, kill: (signal) => child.kill(signal) }
}

t.test('a second serve on the same data dir exits 1; the first keeps serving', async (t) => {
  const dataDir = join(tempDir(t), 'data')
  const env = { DEPGATE_DATA_DIR: dataDir, DEPGATE_PORT: '0', DEPGATE_SIMULATOR_DEVICES: '3', DEPGATE_LOG_LEVEL: 'warn' }
  const first = serve(env)
  t.teardown(() => { first.kill('SIGKILL') })
  const url = await first.listening

  const second = serve(env)
  t.equal(await second.exited, 1)
  t.match(await second.output, /depgate: another depgate \(pid \d+\) is serving DEPGATE_DATA_DIR=.*data; stop it, or use PostgreSQL \(DEPGATE_DATABASE_URL\) to run several replicas\n$/)
  t.equal((await fetch(`${url}/healthz`)).status, 200, 'the first still serves')

  const rotate = cliIo(env)
  t.equal(await main(['secrets', 'rotate', '--yes'], rotate), 1, 'secrets rotate while serving refuses')
  t.match(rotate.err.join(''), /^depgate: the store is in use \(depgate pid \d+ is serving DEPGATE_DATA_DIR=.*\)\. .*Stop every depgate replica first/)

  t.equal(statSync(dataDir).mode & 0o777, 0o700)
  for (const file of ['depgate.sqlite', 'depgate.sqlite-wal', 'depgate.sqlite-shm', 'secret.key', 'admin-key', 'depgate.lock']) {
    t.equal(statSync(join(dataDir, file)).mode & 0o777, 0o600, file)
  }
  first.kill('SIGTERM')
  await first.exited
  t.notOk(existsSync(join(dataDir, 'depgate.lock')), 'a stopped server leaves no lock')
})
