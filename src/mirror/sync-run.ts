/**
 * One sync run for one server: Apple's fetch → sync state machine (docs/apple-dep.md §3.2) over the
 * mirror. The cursor lives in the store, written with the page it ends, so a run resumes exactly
 * where the last one (or a killed process) stopped:
 * - phase fetch: `POST /server/devices` from the stored cursor (none = start) until
 *   `more_to_follow` is false; the last page sweeps devices the fetch did not see.
 *   `EXHAUSTED_CURSOR` there means the fetch is over: sweep and continue as sync (nanodep, micromdm).
 * - phase sync: `POST /devices/sync` from the stored cursor until `more_to_follow` is false.
 * - `EXPIRED_CURSOR`, `INVALID_CURSOR` (or `CURSOR_REQUIRED`): start a full re-fetch.
 * - Apple sending back the cursor it was sent with `more_to_follow: true`
 *   (docs/apple-dep.md §3.5): the page is applied, then the run stops with SAME_CURSOR instead of
 *   spinning; the next run resumes there.
 */
import { DepCursorError, DepError, type DepClient } from '../dep/index.js'
import type { ApplyResult, MirrorStateRow, MirrorWrites, SyncPhase } from '../store/index.js'

export interface SyncRunOptions {
  server: string
  /** The lease holder writing (every write is fenced by it). */
  owner: string
  client: DepClient
  /** Only the fenced writes and the state: a run never reads devices. */
  repo: MirrorWrites
  /** Start with a full re-fetch whatever the state. */
  full?: boolean
  /** Devices per page asked of Apple (default: the client's maximum). */
  pageSize?: number
  signal?: AbortSignal
  onPage?: (result: ApplyResult) => void
}

export interface SyncRunResult {
  pages: number
  added: number
  modified: number
  removed: number
  /** A full fetch started during this run (first run, requested, or a cursor Apple refused). */
  fullFetch: boolean
  lastSeq: number
}

/** Cursor codes after which only a fresh fetch helps. */
const RESTART_CODES = new Set(['EXPIRED_CURSOR', 'INVALID_CURSOR', 'CURSOR_REQUIRED'])
const ENDPOINTS = { fetch: 'fetch_devices', sync: 'sync_devices' } as const
/** A fresh fetch sends no cursor, so Apple refusing it twice in one run is not a cursor problem. */
const MAX_RESTARTS = 2

export async function runSync (o: SyncRunOptions): Promise<SyncRunResult> {
  const total: SyncRunResult = { pages: 0, added: 0, modified: 0, removed: 0, fullFetch: false, lastSeq: 0 }
  const add = (r: ApplyResult): void => {
    total.added += r.added
    total.modified += r.modified
    total.removed += r.removed
    total.lastSeq = r.lastSeq
  }
  const load = async (): Promise<MirrorStateRow> => {
    const state = await o.repo.getState(o.server)
    /* c8 ignore next - the leader loop creates the row when it takes the lease */
    if (state === undefined) throw new Error(`no mirror state for "${o.server}"`)
    return state
  }
  const restart = async (): Promise<MirrorStateRow> => {
    await o.repo.startFullFetch(o.server, o.owner)
    total.fullFetch = true
    return await load()
  }

  let state = await load()
  total.lastSeq = state.last_seq
  if (o.full === true || state.generation === 0 || (state.phase === 'sync' && state.cursor === null)) state = await restart()
  let restarts = 0
  for (;;) {
    o.signal?.throwIfAborted()
    const phase = state.phase as SyncPhase
    const sent = state.cursor ?? undefined
    let page
    try {
      page = phase === 'fetch'
        ? await o.client.fetchDevices({ cursor: sent, limit: o.pageSize }, o.signal)
        : await o.client.syncDevices({ cursor: sent as string, limit: o.pageSize }, o.signal)
    } catch (err) {
      const code = err instanceof DepError ? err.code : undefined
      if (code === 'EXHAUSTED_CURSOR' && phase === 'fetch') {
        add(await o.repo.completeFetch(o.server, o.owner, sent ?? null))
        state = await load()
        continue
      }
      // Nothing left to sync from this cursor (nanodep only ever saw this on fetch; be tolerant).
      if (code === 'EXHAUSTED_CURSOR') return total
      if (code !== undefined && RESTART_CODES.has(code) && restarts < MAX_RESTARTS) {
        restarts++
        state = await restart()
        continue
      }
      throw err
    }
    const result = await o.repo.applyPage(o.server, o.owner, { phase, sentCursor: sent ?? null, devices: page.devices, cursor: page.cursor, moreToFollow: page.more_to_follow })
    total.pages++
    add(result)
    o.onPage?.(result)
    if (!page.more_to_follow) return total
    if (page.cursor === sent) {
      const endpoint = ENDPOINTS[phase]
      throw new DepCursorError(`${endpoint}: Apple returned the cursor it was sent with more_to_follow; stopping this run instead of looping (the next run resumes from it)`,
        { code: 'SAME_CURSOR', status: 200, endpoint })
    }
    state = { ...state, cursor: page.cursor }
  }
}
