/**
 * The canonical JSON of a value: object keys sorted (at every depth), no whitespace, `undefined`
 * members left out. Two definitions that differ only in key order or layout are the same profile,
 * so a PUT that re-sends what is stored hashes the same and defines nothing new at Apple. Array
 * order is kept: it is the caller's, and Apple's lists (certificates, skipped panes) are sent as given.
 */
import { createHash } from 'node:crypto'

function canonical (value: unknown): unknown {
  if (Array.isArray(value)) return value.map(canonical)
  if (typeof value === 'object' && value !== null) {
    // Keys of one object are distinct, so no two compare equal.
    const entries = Object.entries(value).filter(([, v]) => v !== undefined).sort(([a], [b]) => (a < b ? -1 : 1))
    return Object.fromEntries(entries.map(([k, v]) => [k, canonical(v)]))
  }
  return value
}

export function canonicalJson (value: unknown): string {
  return JSON.stringify(canonical(value))
}

/** Hex SHA-256 of the canonical JSON. */
export function contentHash (value: unknown): string {
  return createHash('sha256').update(canonicalJson(value)).digest('hex')
}
