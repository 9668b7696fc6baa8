/**
 * tap's `before` script (.taprc): transpiles every .ts file of the project that is not cached yet,
 * in this one process, so that the test processes find them all in the cache and none has to load
 * TypeScript (from a fresh checkout that is the whole tree, a few seconds; afterwards only the
 * files changed since). Then drops cache entries of texts no file has any more, once they are a
 * week old (another branch may want them back). Prints nothing: tap reads this output as TAP.
 */
import { readdirSync, readFileSync, rmSync, statSync } from 'node:fs'
import { join } from 'node:path'
import { CACHE, cacheFile, compiled, ROOT } from './transpile.mjs'

const SKIP = new Set(['node_modules', 'dist', 'coverage'])
const WEEK = 7 * 24 * 60 * 60 * 1000

function * typescriptFiles (dir) {
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    if (entry.name.startsWith('.') || SKIP.has(entry.name)) continue
    const path = join(dir, entry.name)
    if (entry.isDirectory()) yield * typescriptFiles(path)
    else if (entry.name.endsWith('.ts') && !entry.name.endsWith('.d.ts')) yield path
  }
}

const current = new Set()
for (const file of typescriptFiles(ROOT)) {
  const source = readFileSync(file, 'utf8')
  compiled(file, source)
  current.add(cacheFile(file, source))
}

const old = Date.now() - WEEK
for (const entry of readdirSync(CACHE, { recursive: true })) {
  const path = join(CACHE, entry)
  if (current.has(path) || !path.endsWith('.js')) continue
  try {
    if (statSync(path).mtimeMs < old) rmSync(path)
  } catch {}
}
