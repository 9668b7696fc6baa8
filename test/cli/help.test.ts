/**
 * Every command and subcommand of `depgate`, taken from the program's own command list (a command
 * added later is covered without touching this file): --help and -h print its usage and exit 0,
 * and nothing happens besides: no server listens on the configured port, no data directory is
 * made, no file appears in the working directory (`openapi --help` writes no openapi.json).
 */
import { mkdirSync, readdirSync } from 'node:fs'
import { createServer } from 'node:net'
import { join } from 'node:path'
import type { Command } from 'commander'
import t from 'tap'
import { buildProgram, main } from '../../src/cli.js'
import { cliIo, tempDir } from '../helper.js'

function paths (command: Command, prefix: string[] = []): string[][] {
  return command.commands.flatMap((c) => [[...prefix, c.name()], ...paths(c, [...prefix, c.name()])])
}

async function freePort (): Promise<number> {
  const server = createServer()
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  const { port } = server.address() as { port: number }
  await new Promise((resolve) => server.close(resolve))
  return port
}

/** Resolves when `port` can be listened on, i.e. nothing took it. */
async function portIsFree (port: number): Promise<boolean> {
  const server = createServer()
  const free = await new Promise<boolean>((resolve) => {
    server.once('error', () => resolve(false))
    server.listen(port, '127.0.0.1', () => resolve(true))
  })
  if (free) await new Promise((resolve) => server.close(resolve))
  return free
}

const commands = paths(buildProgram(cliIo({}), () => {}))

t.test('the command list is the whole CLI', async (t) => {
  const names = commands.map((p) => p.join(' '))
  for (const expected of ['serve', 'simulate', 'keys create', 'keys list', 'keys revoke', 'openapi', 'token keypair', 'token decrypt', 'token import', 'secrets rotate', 'org import']) {
    t.ok(names.includes(expected), expected)
  }
})

t.test('--help and -h: usage, exit 0, no side effect', async (t) => {
  const cwd = tempDir(t)
  const dataDir = join(cwd, 'data')
  const port = await freePort()
  const env = { DEPGATE_DATA_DIR: dataDir, DEPGATE_PORT: String(port), DEPGATE_SIMULATOR: 'on' }
  const before = process.cwd()
  process.chdir(cwd)
  t.teardown(() => { process.chdir(before) })
  for (const path of [[], ...commands]) {
    for (const flag of ['--help', '-h']) {
      const what = [...path, flag].join(' ')
      const io = cliIo(env)
      t.equal(await main([...path, flag], io), 0, what)
      t.match(io.out.join(''), new RegExp(`^Usage: depgate${path.map((p) => ` ${p}`).join('')} `), `${what}: its usage`)
      t.same(io.err, [], `${what}: nothing on stderr`)
      t.same(readdirSync(cwd), [], `${what}: no file written, no data directory made`)
      t.ok(await portIsFree(port), `${what}: no server started`)
    }
  }
  // The check can fail: a command that does its work shows up in the same three places.
  mkdirSync(dataDir, { mode: 0o700 })
  const io = cliIo(env)
  t.equal(await main(['openapi'], io), 0)
  t.same(readdirSync(cwd).sort(), ['data', 'openapi'])
})
