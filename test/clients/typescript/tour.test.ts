// @slow: runs the TypeScript compiler (node) on a program written against the client
/**
 * The client as a user meets it: tour/tour.ts must compile under strict, noUncheckedIndexedAccess
 * and exactOptionalPropertyTypes (tour/tsconfig.json, the DOM's fetch types and no Node types, as
 * in a browser dashboard), then it runs against a real depgate with its mirror and the simulator,
 * over HTTP.
 */
import { execFile } from 'node:child_process'
import { readFileSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { promisify } from 'node:util'
import t from 'tap'
import { buildTestApp, tempDir, untilReady } from '../../helper.js'
import { tour } from './tour/tour.js'

const ROOT = join(import.meta.dirname, '../../..')
const TOUR = join(import.meta.dirname, 'tour')
const DEVICES = 17

/** tsc on a project: its diagnostics, empty when the program type-checks. */
async function typeCheck (tsconfig: string): Promise<string> {
  const tsc = join(ROOT, 'node_modules/typescript/bin/tsc')
  const run = await promisify(execFile)(process.execPath, [tsc, '-p', tsconfig]).catch((err: { stdout: string }) => err)
  return run.stdout
}

t.test('the program compiles under the strict options', async (t) => {
  const config = JSON.parse(readFileSync(join(TOUR, 'tsconfig.json'), 'utf8')) as { compilerOptions: Record<string, unknown> }
  t.match(config.compilerOptions, { strict: true, noUncheckedIndexedAccess: true, exactOptionalPropertyTypes: true, skipLibCheck: false })
  t.equal(await typeCheck(join(TOUR, 'tsconfig.json')), '', 'no type errors')
})

t.test('the README\'s TypeScript example compiles under the same options, in Node', async (t) => {
  const readme = readFileSync(join(ROOT, 'README.md'), 'utf8')
  const example = /### TypeScript\n[\s\S]*?```ts\n([\s\S]*?)```/.exec(readme)?.[1]
  if (example === undefined) throw new Error('the README has no TypeScript example')
  const dir = tempDir(t)
  writeFileSync(join(dir, 'package.json'), '{ "type": "module" }\n')
  writeFileSync(join(dir, 'example.ts'), example.replace("'./clients/typescript/index.js'", `'${join(ROOT, 'clients/typescript/index.js')}'`))
  const { compilerOptions } = JSON.parse(readFileSync(join(TOUR, 'tsconfig.json'), 'utf8')) as { compilerOptions: Record<string, unknown> }
  const options = { ...compilerOptions, lib: ['ES2023'], types: ['node'], typeRoots: [join(ROOT, 'node_modules/@types')] }
  writeFileSync(join(dir, 'tsconfig.json'), JSON.stringify({ compilerOptions: options, files: ['example.ts'] }))
  t.equal(await typeCheck(join(dir, 'tsconfig.json')), '', 'no type errors')
})

t.test('the program runs against depgate over HTTP', async (t) => {
  const { app, adminKey } = await buildTestApp(t, { env: { DEPGATE_MIRROR: 'true' }, simulator: { devices: DEVICES } })
  await untilReady(app)
  await app.listen({ host: '127.0.0.1', port: 0 })
  const address = app.server.address()
  if (address === null || typeof address === 'string') throw new Error('not listening on TCP')
  const result = await tour(`http://127.0.0.1:${address.port}`, adminKey)

  t.same(result.servers, ['default'])
  t.equal(result.serials.length, DEVICES, 'the page helper read every device (3 pages of 7)')
  t.equal(new Set(result.serials).size, DEVICES, 'once each')
  t.ok(result.lastSeq > 0)
  t.same(result.notFound, { status: 404, code: 'DEVICE_NOT_FOUND' })
  t.equal(result.summaryTotal, DEVICES)
  t.equal(result.changes, DEVICES, 'the feed from 0 has each device, in pages of 5')
  const first = result.serials[0]!
  t.same(result.assigned, { [first]: 'SUCCESS' })
  t.same(result.removed, { [first]: 'SUCCESS' })
  t.match(result.throttled, { status: 429, code: 'FULL_SYNC_TOO_SOON', retryAfter: /^\d+$/ })
})
