import { createHash } from 'node:crypto'

/**
 * Cursors are opaque to clients (docs/apple-dep.md §3.1) but carry everything the simulator needs, so
 * the simulator keeps no per-cursor state:
 * - fetch: `pos` in the fetch order, `end` (the order's length when the fetch began, so devices
 *   added during a fetch show up only in sync), `seq` (the change log's length when the fetch
 *   began, so a sync from any fetch cursor returns everything after the fetch started) and `done`;
 * - sync: `seq`, the next change-log entry to return.
 * `issued` (ms) drives EXPIRED_CURSOR. A short checksum turns garbage into INVALID_CURSOR.
 */
export interface FetchCursor {
  kind: 'fetch'
  pos: number
  end: number
  seq: number
  done: boolean
  issued: number
}

export interface SyncCursor {
  kind: 'sync'
  seq: number
  issued: number
}

export type Cursor = FetchCursor | SyncCursor

export const CURSOR_LIFETIME_MS = 7 * 24 * 3_600_000

function checksum (text: string): string {
  return createHash('sha256').update(`depsim-cursor:${text}`).digest('base64url').slice(0, 8)
}

export function encodeCursor (c: Cursor): string {
  const text = c.kind === 'fetch'
    ? ['f', c.pos, c.end, c.seq, c.done ? 1 : 0, c.issued].join(':')
    : ['s', c.seq, c.issued].join(':')
  return Buffer.from(`${text}:${checksum(text)}`).toString('base64url')
}

const FETCH = /^f:(\d+):(\d+):(\d+):([01]):(\d+)$/
const SYNC = /^s:(\d+):(\d+)$/

/** The cursor, or undefined when it is not one the simulator issued. */
export function decodeCursor (value: unknown): Cursor | undefined {
  if (typeof value !== 'string' || value.length === 0 || value.length > 1000) return undefined
  const raw = Buffer.from(value, 'base64url').toString()
  const cut = raw.lastIndexOf(':')
  const text = raw.slice(0, cut)
  if (cut < 0 || checksum(text) !== raw.slice(cut + 1)) return undefined
  const f = FETCH.exec(text)
  if (f !== null) {
    return { kind: 'fetch', pos: Number(f[1]), end: Number(f[2]), seq: Number(f[3]), done: f[4] === '1', issued: Number(f[5]) }
  }
  const s = SYNC.exec(text)
  /* c8 ignore next -- only reachable with a forged checksum over a text the simulator never encodes */
  if (s === null) return undefined
  return { kind: 'sync', seq: Number(s[1]), issued: Number(s[2]) }
}
