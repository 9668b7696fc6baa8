/**
 * tap's `before` script (.taprc): transpiles every .ts file of the project that is not cached yet,
 * in this one process, so that the test processes find them all in the cache and none has to load
 * TypeScript (from a fresh checkout that is the whole tree, a few seconds; afterwards only the
 * files changed since). Prints nothing: tap reads this process's output as TAP.
 */
import { readdirSync, readFileSync } from 'node:fs'
import { join } from 'node:path'
import { compiled, ROOT } from './transpile.mjs'

const SKIP = new Set(['node_modules', 'dist', 'coverage', '.tap', '.git'])

function * typescriptFiles (dir) {
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    if (entry.name.startsWith('.') || SKIP.has(entry.name)) continue
    const path = join(dir, entry.name)
    if (entry.isDirectory()) yield * typescriptFiles(path)
    else if (entry.name.endsWith('.ts') && !entry.name.endsWith('.d.ts')) yield path
  }
}

for (const file of typescriptFiles(ROOT)) compiled(file, readFileSync(file, 'utf8'))
