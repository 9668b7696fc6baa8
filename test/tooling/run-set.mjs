/**
 * `node test/tooling/run-set.mjs <fast|postgres> [tap options]`: tap on one set of test files
 * (test-sets.mjs), without coverage: a subset cannot meet the 100 % gate, which `npm test` holds on
 * the whole suite. No build either: the npm script builds when the set needs dist/.
 */
import { spawnSync } from 'node:child_process'
import { readFileSync } from 'node:fs'
import { createRequire } from 'node:module'
import { dirname, join } from 'node:path'
import { fastFiles, postgresFiles, ROOT } from './test-sets.mjs'

const SETS = { fast: fastFiles, postgres: postgresFiles }
const [name, ...options] = process.argv.slice(2)
if (!Object.hasOwn(SETS, name)) {
  console.error(`usage: run-set.mjs <${Object.keys(SETS).join('|')}> [tap options]`)
  process.exit(2)
}
const require = createRequire(import.meta.url)
const tapPackage = require.resolve('tap/package.json')
const tap = join(dirname(tapPackage), JSON.parse(readFileSync(tapPackage, 'utf8')).bin.tap)
const { status } = spawnSync(process.execPath, [tap, '--disable-coverage', ...options, ...SETS[name]()], { cwd: ROOT, stdio: 'inherit' })
process.exit(status ?? 1)
