/**
 * The README's Python example, run as a reader would run it (python3, its standard library only)
 * against a server that first answers what a fresh depgate answers while its mirror fills
 * (503 INVENTORY_NOT_READY with Retry-After), then the device list. Only the address changes.
 */
import { spawn, spawnSync } from 'node:child_process'
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs'
import { createServer } from 'node:http'
import { join } from 'node:path'
import t from 'tap'
import { tempDir } from '../helper.js'

const ROOT = join(import.meta.dirname, '..', '..')
const readme = readFileSync(join(ROOT, 'README.md'), 'utf8')
const example = /### Python\n\n```python\n([\s\S]*?)```/.exec(readme)?.[1]
const python = spawnSync('python3', ['--version']).status === 0

t.test('the Python example waits out 503 INVENTORY_NOT_READY, then lists the devices', { skip: python ? false : 'no python3 on this machine' }, async (t) => {
  t.type(example, 'string', 'the README has a Python example')
  const key = 'dgk_readme_example_key'
  const seen: string[] = []
  const server = createServer((req, res) => {
    seen.push(`${req.method ?? ''} ${req.url ?? ''} ${req.headers.authorization === `Bearer ${key}` ? 'key' : 'no key'}`)
    if (seen.length === 1) {
      res.writeHead(503, { 'content-type': 'application/problem+json', 'retry-after': '0' })
      res.end(JSON.stringify({ status: 503, code: 'INVENTORY_NOT_READY', detail: 'depgate is still fetching every device' }))
      return
    }
    res.writeHead(200, { 'content-type': 'application/json' })
    res.end(JSON.stringify({ count: 1, devices: [{ serial_number: 'C02README001', profile_status: 'assigned' }] }))
  })
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  t.teardown(() => { server.close() })
  const url = `http://127.0.0.1:${(server.address() as { port: number }).port}`

  const cwd = tempDir(t)
  mkdirSync(join(cwd, 'data'))
  writeFileSync(join(cwd, 'data', 'admin-key'), `${key}\n`)
  writeFileSync(join(cwd, 'example.py'), (example as string).replace('http://127.0.0.1:8080', url))
  // Asynchronous: the server above runs in this process and must answer while python3 waits.
  const child = spawn('python3', ['example.py'], { cwd, stdio: ['ignore', 'pipe', 'pipe'], timeout: 20_000 })
  let out = ''
  child.stdout.on('data', (chunk: Buffer) => { out += chunk.toString('utf8') })
  child.stderr.on('data', (chunk: Buffer) => { out += chunk.toString('utf8') })
  const code = await new Promise<number | null>((resolve) => child.once('exit', resolve))
  t.equal(code, 0, out)
  t.equal(out, 'C02README001 assigned\n')
  t.same(seen, ['GET /v1/servers/default/devices?device_family=Mac key', 'GET /v1/servers/default/devices?device_family=Mac key'], 'asked again after the 503')
})
