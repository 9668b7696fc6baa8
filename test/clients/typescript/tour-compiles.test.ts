// @slow: runs the TypeScript compiler (node) on a program written against the client
/**
 * The client as a user meets it, part 1: tour/tour.ts must compile under strict,
 * noUncheckedIndexedAccess and exactOptionalPropertyTypes (tour/tsconfig.json, the DOM's fetch
 * types and no Node types, as in a browser dashboard), and so must the README's example (in Node).
 * Part 2, tour.test.ts, runs the program. No database here: the PostgreSQL pass leaves this out.
 */
import { execFile } from 'node:child_process'
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { promisify } from 'node:util'
import t from 'tap'

const ROOT = join(import.meta.dirname, '../../..')
const TOUR = join(import.meta.dirname, 'tour')

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
  const dir = mkdtempSync(join(tmpdir(), 'depgate-readme-ts-'))
  t.teardown(() => { rmSync(dir, { recursive: true, force: true }) })
  writeFileSync(join(dir, 'package.json'), '{ "type": "module" }\n')
  writeFileSync(join(dir, 'example.ts'), example.replace("'./clients/typescript/index.js'", `'${join(ROOT, 'clients/typescript/index.js')}'`))
  const { compilerOptions } = JSON.parse(readFileSync(join(TOUR, 'tsconfig.json'), 'utf8')) as { compilerOptions: Record<string, unknown> }
  const options = { ...compilerOptions, lib: ['ES2023'], types: ['node'], typeRoots: [join(ROOT, 'node_modules/@types')] }
  writeFileSync(join(dir, 'tsconfig.json'), JSON.stringify({ compilerOptions: options, files: ['example.ts'] }))
  t.equal(await typeCheck(join(dir, 'tsconfig.json')), '', 'no type errors')
})
