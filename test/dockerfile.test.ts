// @slow: starts the compiled build as the Docker image does
/**
 * The Docker image's start and health check, run as the image runs them: the final stage's CMD
 * and HEALTHCHECK commands, read from the Dockerfile, from the build (`npm test` builds first)
 * with the stage's environment. Only what the test machine needs changes: loopback instead of
 * 0.0.0.0, a free port, a temporary data directory. No token: the image then serves its simulator.
 * (The CMD once named dist/src/server.js, which exited at once with code 13 and no output.)
 */
import { spawn, spawnSync } from 'node:child_process'
import { existsSync, readFileSync } from 'node:fs'
import { join } from 'node:path'
import t from 'tap'
import { tempDir } from './helper.js'

const ROOT = join(import.meta.dirname, '..')
const dockerfile = readFileSync(join(ROOT, 'Dockerfile'), 'utf8').replace(/\\\n\s*/g, ' ')
const runtime = dockerfile.slice(dockerfile.lastIndexOf('\nFROM '))

/** The JSON (exec) form of an instruction's command, e.g. CMD ["node", …]. */
function execForm (instruction: RegExp): string[] {
  const match = instruction.exec(runtime)
  if (match === null) throw new Error(`no ${String(instruction)} in the Dockerfile's last stage`)
  return JSON.parse(match[1]) as string[]
}

const cmd = execForm(/^CMD (\[.*\])$/m)
const healthcheck = execForm(/^HEALTHCHECK .*? CMD (\[.*\])$/m)
const env = Object.fromEntries([...runtime.matchAll(/^ENV (.*)$/gm)].flatMap((m) => m[1].trim().split(/\s+/).map((pair) => pair.split('=') as [string, string])))

t.test('the image starts with its CMD, passes its HEALTHCHECK and stops cleanly on SIGTERM', async (t) => {
  t.same(cmd.slice(0, 1), ['node'])
  t.ok(existsSync(join(ROOT, cmd[1])), `${cmd[1]} is in the build`)
  t.match(env, { NODE_ENV: 'production', DEPGATE_DATA_DIR: '/data' }, 'the stage\'s environment was read')

  const child = spawn(cmd[0] === 'node' ? process.execPath : cmd[0], cmd.slice(1), {
    cwd: ROOT,
    // A clean environment, as in the image: no TypeScript loader or coverage hooks from tap.
    env: { PATH: process.env.PATH, ...env, DEPGATE_HOST: '127.0.0.1', DEPGATE_PORT: '0', DEPGATE_DATA_DIR: tempDir(t) },
    stdio: ['ignore', 'pipe', 'pipe']
  })
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => { resolve(code) }))
  t.teardown(async () => {
    if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL')
    await exited
  })
  let output = ''
  const port = await new Promise<string>((resolve, reject) => {
    const onData = (chunk: Buffer): void => {
      output += chunk.toString('utf8')
      const listening = /depgate is listening on http:\/\/127\.0\.0\.1:(\d+)/.exec(output)
      if (listening !== null) resolve(listening[1])
    }
    child.stdout.on('data', onData)
    child.stderr.on('data', onData)
    exited.then((code) => { reject(new Error(`the CMD exited with ${String(code)} before listening:\n${output}`)) }, reject)
  })

  const check = (p: string): number | null => spawnSync(process.execPath, healthcheck.slice(1), { env: { PATH: process.env.PATH, DEPGATE_PORT: p }, timeout: 10_000 }).status
  t.equal(check(port), 0, 'the HEALTHCHECK passes')
  child.kill('SIGTERM')
  t.equal(await exited, 0, 'a graceful stop')
  t.equal(check(port), 1, 'and fails once the server is gone')
})
