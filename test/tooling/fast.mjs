/**
 * `npm run test:fast`: tap on every test file without the `// @slow:` tag (test-sets.mjs), no
 * coverage (a subset cannot meet the 100 % gate), no build (tests that need dist/ are slow ones).
 * Arguments go to tap, e.g. `npm run test:fast -- --grep=mirror`.
 */
import { spawnSync } from 'node:child_process'
import { readFileSync } from 'node:fs'
import { createRequire } from 'node:module'
import { dirname, join } from 'node:path'
import { fastFiles, ROOT } from './test-sets.mjs'

const require = createRequire(import.meta.url)
const tapPackage = require.resolve('tap/package.json')
const tap = join(dirname(tapPackage), JSON.parse(readFileSync(tapPackage, 'utf8')).bin.tap)
const { status } = spawnSync(process.execPath, [tap, '--disable-coverage', ...process.argv.slice(2), ...fastFiles()], { cwd: ROOT, stdio: 'inherit' })
process.exit(status ?? 1)
