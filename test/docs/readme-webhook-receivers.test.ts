// @slow: runs the README's receivers as processes (node and python3)
/**
 * The README's two webhook receivers (Node with standardwebhooks, Python with its standard library),
 * run as a reader would run them: each accepts a delivery signed as depgate signs it, during a
 * rotation too (two signatures, the receiver knowing only the new secret), and refuses one signed
 * with another secret.
 */
import { spawn, spawnSync } from 'node:child_process'
import { readFileSync, writeFileSync } from 'node:fs'
import { createServer } from 'node:net'
import { join } from 'node:path'
import t, { type Test } from 'tap'
import { request } from 'undici'
import { generateWebhookSecret, signedHeaders } from '../../src/events/signing.js'
import { tempDir, until } from '../helper.js'

const ROOT = join(import.meta.dirname, '..', '..')
const section = /## Webhooks\n([\s\S]*?)\n## /.exec(readFileSync(join(ROOT, 'README.md'), 'utf8'))?.[1] ?? ''
const node = /```js\n([\s\S]*?)```/.exec(section)?.[1]
const python = /```python\n([\s\S]*?)```/.exec(section)?.[1]
const hasPython = spawnSync('python3', ['--version']).status === 0

async function freePort (): Promise<number> {
  const server = createServer()
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  const { port } = server.address() as { port: number }
  await new Promise<void>((resolve) => server.close(() => { resolve() }))
  return port
}

async function check (t: Test, command: string, file: string, source: string): Promise<void> {
  const dir = tempDir(t)
  const port = await freePort()
  writeFileSync(join(dir, file), source.replace('8000', String(port)))
  const secret = generateWebhookSecret()
  const child = spawn(command, [file], { cwd: dir, env: { ...process.env, DEPGATE_WEBHOOK_SECRET: secret }, stdio: ['ignore', 'pipe', 'pipe'] })
  let out = ''
  child.stdout.on('data', (chunk: Buffer) => { out += chunk.toString('utf8') })
  child.stderr.on('data', (chunk: Buffer) => { out += chunk.toString('utf8') })
  t.teardown(() => { child.kill() })
  const send = async (secrets: string[]): Promise<number> => {
    const body = JSON.stringify({ type: 'device.added', id: 'msg_readme', timestamp: new Date().toISOString(), data: { serial_number: 'C02README001' } })
    const res = await request(`http://127.0.0.1:${port}/`, { method: 'POST', headers: { 'content-type': 'application/json', ...signedHeaders(secrets, 'msg_readme', Math.floor(Date.now() / 1000), body) }, body })
    await res.body.dump()
    return res.statusCode
  }
  const first = await until(`the ${file} receiver to listen`, async () => await send([secret]).catch(() => undefined))
  t.equal(first, 204, out)
  t.equal(await send([secret, generateWebhookSecret()]), 204, 'two signatures, one matching')
  t.equal(await send([generateWebhookSecret()]), 401, 'another secret')
  await until('the event printed', async () => out.includes('device.added'))
}

t.test('the Node receiver', async (t) => {
  t.type(node, 'string', 'the README has a Node receiver')
  // Resolved from the repository, where the reader would have run `npm install standardwebhooks`.
  const source = (node as string).replace("from 'standardwebhooks'", `from '${join(ROOT, 'node_modules', 'standardwebhooks', 'dist', 'index.js')}'`)
  await check(t, process.execPath, 'receiver.mjs', source)
})

t.test('the Python receiver', { skip: hasPython ? false : 'no python3 on this machine' }, async (t) => {
  t.type(python, 'string', 'the README has a Python receiver')
  await check(t, 'python3', 'receiver.py', python as string)
})
