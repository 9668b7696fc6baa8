/**
 * The test files, and the slow ones among them. A test file is slow when a line of it is a
 * `// @slow: <why>` comment: it starts processes (the compiled CLI, node, a server) or drives a
 * 20,000-device fleet, or runs a matrix that takes minutes. `npm run test:fast` leaves those out;
 * `npm test` and CI run everything.
 */
import { readdirSync, readFileSync } from 'node:fs'
import { dirname, join } from 'node:path'
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
