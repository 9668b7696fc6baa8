// @slow: starts the compiled build as the Docker image does
/**
 * The Docker image's start and health check, run as the image runs them: the final stage's CMD
 * and HEALTHCHECK commands, read from the Dockerfile, from the build (`npm test` builds first)
 * with the stage's environment. Only what the test machine needs changes: loopback instead of
 * 0.0.0.0, a free port, a temporary data directory. No token: the image then serves its simulator.
 * (The CMD once named dist/src/server.js, which exited at once with code 13 and no output.)
 */
import { spawn } from 'node:child_process'
import { existsSync, readFileSync } from 'node:fs'
import { createServer } from 'node:http'
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
/** Each stage's base image, with ARGs declared before the first FROM substituted. */
const bases = [...dockerfile.matchAll(/^FROM (\S+)/gm)].map((m) => m[1].replace(/\$\{(\w+)\}/g, (_all, name: string) => {
  const arg = new RegExp(`^ARG ${name}=(\\S+)$`, 'm').exec(dockerfile)
  if (arg === null) throw new Error(`FROM uses \${${name}}, which no ARG sets`)
  return arg[1]
}))
const env = Object.fromEntries([...runtime.matchAll(/^ENV (.*)$/gm)].flatMap((m) => m[1].trim().split(/\s+/).map((pair) => pair.split('=') as [string, string])))

const HOST = '127.0.0.2'

/**
 * Runs the HEALTHCHECK command as Docker would, with the image's environment for host and port.
 * Asynchronous: a server in this process must be able to answer the probe.
 */
async function check (port: string, host: string | undefined): Promise<number | null> {
  const vars: Record<string, string | undefined> = { PATH: process.env.PATH, DEPGATE_PORT: port }
  if (host !== undefined) vars.DEPGATE_HOST = host
  const probe = spawn(process.execPath, healthcheck.slice(1), { env: vars, stdio: 'ignore', timeout: 10_000 })
  return await new Promise((resolve) => probe.once('exit', (code) => { resolve(code) }))
}

t.test('every base image is pinned by digest', async (t) => {
  t.ok(bases.length >= 2, `the stages were read (${bases.join(', ')})`)
  for (const base of bases) t.match(base, /^[a-z0-9./-]+:[\w.-]+@sha256:[0-9a-f]{64}$/, `${base}: name:tag@sha256:<digest>`)
})

t.test('.dockerignore keeps secrets and local data out of the build context', async (t) => {
  const ignored = readFileSync(join(ROOT, '.dockerignore'), 'utf8').split('\n').map((l) => l.trim())
  for (const pattern of ['**/.env*', '**/*.key', '**/admin-key', '**/data/', '**/*token.json', '*.p7m', '*.pem', '.git']) {
    t.ok(ignored.includes(pattern), `${pattern} is ignored`)
  }
})

t.test('the image starts with its CMD, passes its HEALTHCHECK and stops cleanly on SIGTERM', async (t) => {
  t.same(cmd.slice(0, 1), ['node'])
  t.ok(existsSync(join(ROOT, cmd[1])), `${cmd[1]} is in the build`)
  t.match(env, { NODE_ENV: 'production', DEPGATE_DATA_DIR: '/data' }, 'the stage\'s environment was read')

  const child = spawn(cmd[0] === 'node' ? process.execPath : cmd[0], cmd.slice(1), {
    cwd: ROOT,
    // A clean environment, as in the image: no TypeScript loader or coverage hooks from tap.
    // 127.0.0.2 stands for an address that is not 127.0.0.1 (DEPGATE_HOST=10.1.2.3 in a container).
    env: { PATH: process.env.PATH, ...env, DEPGATE_HOST: HOST, DEPGATE_PORT: '0', DEPGATE_DATA_DIR: tempDir(t) },
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
      const listening = /depgate is listening on http:\/\/127\.0\.0\.2:(\d+)/.exec(output)
      if (listening !== null) resolve(listening[1])
    }
    child.stdout.on('data', onData)
    child.stderr.on('data', onData)
    exited.then((code) => { reject(new Error(`the CMD exited with ${String(code)} before listening:\n${output}`)) }, reject)
  })

  t.equal(await check(port, HOST), 0, 'the HEALTHCHECK passes, probing the address depgate listens on')
  child.kill('SIGTERM')
  t.equal(await exited, 0, 'a graceful stop')
  t.equal(await check(port, HOST), 1, 'and fails once the server is gone')
})

t.test('the HEALTHCHECK probes 127.0.0.1 when DEPGATE_HOST is a wildcard address', async (t) => {
  // A stand-in for depgate on loopback: what is checked here is only where the probe goes.
  const server = createServer((req, res) => { res.writeHead(req.url === '/healthz' ? 200 : 404).end() })
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  t.teardown(() => { server.close() })
  const port = String((server.address() as { port: number }).port)
  t.equal(env.DEPGATE_HOST, '0.0.0.0', 'the image listens on every address')
  for (const host of ['0.0.0.0', '::', undefined]) t.equal(await check(port, host), 0, `DEPGATE_HOST=${String(host)}`)
  t.equal(await check(port, '127.0.0.2'), 1, 'another address is probed as itself')
})
