/**
 * The default User-Agent, `depgate/<version>`, read once from the package's own package.json.
 * Apple rejects some agents (`USER_AGENT_INVALID`, docs/apple-dep.md §1.5), so it names the product plainly.
 */
import { readFileSync } from 'node:fs'

function readPackage (rel: string): { name?: unknown, version?: unknown } | undefined {
  try {
    return JSON.parse(readFileSync(new URL(rel, import.meta.url), 'utf8'))
    /* c8 ignore next 3 -- only the built layout (dist/src/dep) misses the first candidate */
  } catch {
    return undefined
  }
}

function findVersion (): string {
  // src/dep/ when run from source (tests), dist/src/dep/ when built: the package root is 2 or 3 levels up.
  for (const rel of ['../../package.json', '../../../package.json']) {
    const pkg = readPackage(rel)
    if (pkg?.name === 'depgate' && typeof pkg.version === 'string') return pkg.version
  }
  /* c8 ignore next 2 -- only reached in a broken install without depgate's package.json */
  return '0'
}

export const DEFAULT_USER_AGENT = `depgate/${findVersion()}`
