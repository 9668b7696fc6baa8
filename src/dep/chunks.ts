/**
 * Splitting serial lists for Apple (≤ 1000 per request: documented for assign, docs/apple-dep.md §2.8, and
 * applied to every list endpoint since their limits are unknown) and merging per-device results.
 *
 * Chunks run one after the other. When one fails, the error thrown is Apple's (typed DepError),
 * with the merged result of the chunks already done attached as `partial` and the serials not
 * processed as `pending`, so a caller never loses what Apple already did (e.g. assignments).
 */
import { DepError } from './errors.js'

export const MAX_CHUNK = 1000

/** Serials de-duplicated (first occurrence wins) and cut into chunks of at most `size`. */
export function chunkSerials (serials: readonly string[], size = MAX_CHUNK): string[][] {
  if (!Number.isInteger(size) || size < 1) throw new RangeError('chunk size must be a positive integer')
  const unique = [...new Set(serials)]
  const chunks: string[][] = []
  for (let i = 0; i < unique.length; i += size) chunks.push(unique.slice(i, i + size))
  return chunks
}

export interface ChunkedFailure<R> {
  /** Merged result of the chunks that succeeded before the failure. */
  partial: R
  /** Serials of the failed chunk and of the chunks never sent. */
  pending: string[]
}

/** The `partial`/`pending` a chunked call attached to its error, if any. */
export function chunkedFailure<R> (err: unknown): ChunkedFailure<R> | undefined {
  if (!(err instanceof DepError) || !('partial' in err) || !('pending' in err)) return undefined
  return { partial: err.partial as R, pending: err.pending as string[] }
}

/**
 * Runs `call` on every chunk in order and folds the results with `merge`, starting from `empty`.
 * On failure the error gets `partial` and `pending` (only DepErrors are annotated; anything else,
 * such as an abort, is rethrown untouched).
 */
export async function runChunked<T, R> (
  serials: readonly string[],
  call: (chunk: string[]) => Promise<T>,
  merge: (acc: R, result: T) => R,
  empty: R,
  size = MAX_CHUNK
): Promise<R> {
  const chunks = chunkSerials(serials, size)
  let acc = empty
  for (let i = 0; i < chunks.length; i++) {
    try {
      acc = merge(acc, await call(chunks[i]))
    } catch (err) {
      if (err instanceof DepError) Object.assign(err, { partial: acc, pending: chunks.slice(i).flat() })
      throw err
    }
  }
  return acc
}

/** Merge for `{ devices: Record<serial, X> }` answers. */
export function mergeDevices<X, T extends { devices: Record<string, X> }> (acc: T, next: T): T {
  return { ...acc, ...next, devices: { ...acc.devices, ...next.devices } }
}

/** Merge for assign answers: devices merged, the longest `retry_after_seconds` kept. */
export function mergeAssign<T extends { devices: Record<string, string>, retry_after_seconds?: number }> (acc: T, next: T): T {
  const merged = mergeDevices(acc, next)
  const waits = [acc.retry_after_seconds, next.retry_after_seconds].filter((n): n is number => n !== undefined)
  if (waits.length > 0) merged.retry_after_seconds = Math.max(...waits)
  return merged
}
