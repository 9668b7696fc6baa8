import { existsSync, readFileSync } from 'node:fs'

/** depgate's version: package.json is one level up from src/ (tests), two from dist/src/ (built). */
function findVersion (): string {
  for (const rel of ['../package.json', '../../package.json']) {
    const url = new URL(rel, import.meta.url)
    /* c8 ignore next - only the built layout (dist/src) misses the first candidate */
    if (!existsSync(url)) continue
    const pkg = JSON.parse(readFileSync(url, 'utf8')) as { name?: string, version?: string }
    /* c8 ignore next - the other branch needs a foreign package.json in the way */
    if (pkg.name === 'depgate' && pkg.version !== undefined) return pkg.version
  }
  /* c8 ignore start - only in a broken install without depgate's package.json */
  return '0.0.0'
}
/* c8 ignore stop */

export const VERSION = findVersion()
