/**
 * The test files, and two sets of them (run by run-set.mjs).
 *
 * fast (`npm run test:fast`): the files without a `// @slow: <why>` line, the tag of a file that
 * starts processes (the compiled CLI, node, a server), drives a 20,000-device fleet or runs a matrix
 * that takes minutes. `npm test` and CI run everything.
 *
 * postgres (`npm run test:postgres`): the files whose imports reach test/databases.ts, the one module
 * that reads DEPGATE_TEST_DATABASE (or that name the variable themselves). The others never see the
 * dialect: on the PostgreSQL pass they would run the very same code a second time.
 */
import { existsSync, readdirSync, readFileSync } from 'node:fs'
import { dirname, join, relative } from 'node:path'
import { fileURLToPath } from 'node:url'

export const ROOT = join(dirname(fileURLToPath(import.meta.url)), '..', '..')
const SLOW = /^\/\/ @slow: \S/m

/** Every test file (what .taprc includes: test/**\/*.test.ts), relative to the root, sorted. */
export function testFiles () {
  return readdirSync(join(ROOT, 'test'), { recursive: true })
    .filter((f) => f.endsWith('.test.ts') && !f.split('/').some((part) => part.startsWith('.')))
    .map((f) => join('test', f))
    .sort()
}

/** Whether the text of a test file carries the slow tag. */
export function isSlow (text) {
  return SLOW.test(text)
}

export function fastFiles () {
  return testFiles().filter((f) => !isSlow(readFileSync(join(ROOT, f), 'utf8')))
}

/** Relative imports and re-exports, static or dynamic: `from './x.js'`, `import('./x.js')`. */
const IMPORT = /\bfrom\s+['"](\.{1,2}\/[^'"]+)['"]|\bimport\(\s*['"](\.{1,2}\/[^'"]+)['"]\s*\)/g
const DIALECT_MODULE = 'test/databases.ts'

/** Whether `file` (relative to the root) is, imports or names the module that picks the dialect. */
function seesDialect (file, seen) {
  if (file === DIALECT_MODULE) return true
  if (seen.has(file) || !file.startsWith('test/')) return false
  seen.add(file)
  const text = readFileSync(join(ROOT, file), 'utf8')
  if (text.includes('DEPGATE_TEST_DATABASE')) return true
  for (const match of text.matchAll(IMPORT)) {
    let target = relative(ROOT, join(ROOT, dirname(file), match[1] ?? match[2]))
    if (target.endsWith('.js') && !existsSync(join(ROOT, target))) target = `${target.slice(0, -3)}.ts`
    if (existsSync(join(ROOT, target)) && seesDialect(target, seen)) return true
  }
  return false
}

export function postgresFiles () {
  return testFiles().filter((f) => seesDialect(f, new Set()))
}
