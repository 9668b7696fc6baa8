/**
 * `npm run test:fast` leaves out the test files tagged `// @slow: <why>` (test/tooling/test-sets.mjs).
 * This keeps the tag honest for files added later: one that starts Node (this process's execPath) or runs
 * the compiled build (dist/) must carry it.
 */
import { readFileSync } from 'node:fs'
import { join } from 'node:path'
import t from 'tap'
import { fastFiles, isSlow, ROOT, testFiles } from './tooling/test-sets.mjs'

const STARTS_NODE = /process\.execPath|['"]dist['"]|dist\/src\//

t.test('every test file that starts Node or runs the build is tagged slow', async (t) => {
  const files = testFiles()
  t.ok(files.includes('test/test-sets.test.ts'), 'the listing finds the test files')
  const untagged = files.filter((f) => {
    const text = readFileSync(join(ROOT, f), 'utf8')
    return STARTS_NODE.test(text) && !isSlow(text)
  })
  t.same(untagged, [], 'add `// @slow: <why>` as the first line of these')
})

t.test('the fast set is the test files without the tag', async (t) => {
  const fast = fastFiles()
  t.ok(fast.includes('test/test-sets.test.ts'))
  t.notOk(fast.includes('test/cli-pipe.test.ts'), 'a file tagged slow is left out')
  t.same(fast, testFiles().filter((f) => !isSlow(readFileSync(join(ROOT, f), 'utf8'))))
})

t.test('the tag is a first-column line comment with a reason', async (t) => {
  t.ok(isSlow('// @slow: starts the CLI\n/** doc */'))
  t.notOk(isSlow('// @slow:\n'), 'a reason is required')
  t.notOk(isSlow(' * // @slow: inside a comment block\n'))
})
