/**
 * The test sets of test/tooling/test-sets.mjs. `npm run test:fast` leaves out the test files tagged
 * `// @slow: <why>`: a file added later that starts Node (this process's execPath) or runs the
 * compiled build (dist/) must carry the tag. `npm run test:postgres` runs the files that can see
 * the dialect (they reach test/databases.ts), and no other.
 */
import { readFileSync } from 'node:fs'
import { join } from 'node:path'
import t from 'tap'
import { fastFiles, isSlow, postgresFiles, ROOT, testFiles } from './tooling/test-sets.mjs'

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

t.test('the PostgreSQL pass runs every file that can see the dialect, and only those', async (t) => {
  const postgres = postgresFiles()
  // Through test/helper.ts, through a kit that imports it, directly, and by naming the variable.
  for (const file of ['test/store/store.test.ts', 'test/routes/closed-store.test.ts', 'test/security/secret-leak-database.test.ts', 'test/mirror/sync-run.test.ts']) {
    t.ok(postgres.includes(file), `${file} runs on PostgreSQL`)
  }
  // On the simulator alone, or on no store at all: the same either way.
  for (const file of ['test/dep/client.test.ts', 'test/simulator/cursors.test.ts']) {
    t.notOk(postgres.includes(file), `${file} does not`)
  }
  const all = testFiles()
  t.ok(postgres.length > all.length / 3 && postgres.length < all.length, `${postgres.length} of ${all.length} files`)
  t.ok(postgres.every((f) => all.includes(f)))
})
