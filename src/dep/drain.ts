/**
 * Draining fetch/sync cursors page by page (docs/apple-dep.md §3). Guards against Apple's loop
 * anomaly (docs/apple-dep.md §3.5: the cursor that was sent comes back with `more_to_follow: true`)
 * and against runaway drains (`maxPages`); both end with a DepCursorError *after* yielding every
 * page that arrived, so the caller can store the last good cursor.
 */
import { DepCursorError, type DepEndpoint } from './errors.js'
import type { DevicePage } from './schemas.js'

export interface DrainOptions {
  /** Where to start: omitted for a first full fetch; required for sync. */
  cursor?: string
  /** Devices per page (default: the maximum Apple advertises, 1000 unless /account says otherwise). */
  limit?: number
  /** Stop with DepCursorError PAGE_LIMIT when more pages remain after this many. */
  maxPages?: number
  signal?: AbortSignal
}

export async function * drainPages<C extends string | undefined> (
  endpoint: DepEndpoint,
  fetchPage: (cursor: C | string) => Promise<DevicePage>,
  opts: { cursor: C, maxPages: number, signal?: AbortSignal }
): AsyncGenerator<DevicePage, void, undefined> {
  let cursor: C | string = opts.cursor
  let more = true
  for (let pages = 0; more; pages++) {
    opts.signal?.throwIfAborted()
    if (pages >= opts.maxPages) {
      throw new DepCursorError(`${endpoint}: more pages remain after ${opts.maxPages}; resume from the last cursor`, { code: 'PAGE_LIMIT', endpoint })
    }
    const page = await fetchPage(cursor)
    yield page
    more = page.more_to_follow
    if (more && page.cursor === cursor) {
      throw new DepCursorError(`${endpoint}: Apple returned the cursor it was sent with more_to_follow; stopping instead of looping`, { code: 'SAME_CURSOR', status: 200, endpoint })
    }
    cursor = page.cursor
  }
}
