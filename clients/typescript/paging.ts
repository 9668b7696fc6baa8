/**
 * Page loops as async iterators: the device list from depgate's mirror (`limit`, then each
 * `next_page_token` as `page_token`) and the mirror's change feed (`since`, then each `next_since`).
 * Each yields whole answers, so a caller keeps what it needs to resume (`last_seq`, `next_since`).
 * A failed page is thrown as a DepgateError; 429/503 were already retried by the client.
 */
import { DepgateError } from './errors.js'
import type { DepgateClient } from './index.js'
import type { components, paths } from './schema.js'

type DevicesGet = paths['/v1/servers/{server}/devices']['get']
type DevicesQuery = NonNullable<DevicesGet['parameters']['query']>
type ChangesQuery = NonNullable<paths['/v1/servers/{server}/devices/changes']['get']['parameters']['query']>

export type DeviceListPage = DevicesGet['responses'][200]['content']['application/json']
export type MirrorChanges = components['schemas']['MirrorChanges']

export interface DevicePageOptions {
  /** Filters, sort and source; the helper sets `limit` and `page_token` itself and reads JSON only. */
  query?: Omit<DevicesQuery, 'limit' | 'page_token' | 'format'>
  /** Devices per page, 1 to 1000 (default 1000). */
  pageSize?: number
  signal?: AbortSignal
}

export interface ChangePageOptions {
  /** Start after this sequence number: 0 for everything, or the `last_seq` of the device list. */
  since: number
  /** Changes per answer, 1 to 1000 (depgate's default 1000). */
  limit?: number
  /** Keep going once caught up: each further call then waits for news (`wait`), until `signal` aborts or the loop breaks. */
  follow?: boolean
  /** Seconds a caught-up call waits for a change (at most 60; default 30 when following). */
  wait?: number
  signal?: AbortSignal
}

/**
 * Every device, a page at a time. From the mirror the list pages; with `source: 'apple'`, or when
 * the server keeps no mirror (409 `INVENTORY_DISABLED`), depgate drains Apple's cursor itself and
 * the one answer is the only page.
 */
export async function * devicePages (client: DepgateClient, server: string, opts: DevicePageOptions = {}): AsyncGenerator<DeviceListPage> {
  const query = opts.query ?? {}
  const signal = opts.signal === undefined ? {} : { signal: opts.signal }
  const get = async (extra: Pick<DevicesQuery, 'limit' | 'page_token'>) =>
    await client.GET('/v1/servers/{server}/devices', { params: { path: { server }, query: { ...query, ...extra } }, ...signal })
  const paged = query.source !== 'apple'
  let pageToken: string | undefined
  for (;;) {
    const result = paged
      ? await get({ limit: opts.pageSize ?? 1000, ...(pageToken === undefined ? {} : { page_token: pageToken }) })
      : await get({})
    if (result.data === undefined) {
      const err = new DepgateError(result.response, result.error)
      if (!paged || err.code !== 'INVENTORY_DISABLED') throw err
      yield * devicePages(client, server, { ...opts, query: { ...query, source: 'apple' } })
      return
    }
    yield result.data
    if (result.data.source !== 'mirror' || result.data.next_page_token === null) return
    pageToken = result.data.next_page_token
  }
}

/** The mirror's change feed from `since`: one answer per step, until caught up (or, with `follow`, for ever). */
export async function * changePages (client: DepgateClient, server: string, opts: ChangePageOptions): AsyncGenerator<MirrorChanges> {
  const wait = opts.wait ?? (opts.follow === true ? 30 : undefined)
  const fixed: Pick<ChangesQuery, 'limit' | 'wait'> = {
    ...(opts.limit === undefined ? {} : { limit: opts.limit }),
    ...(wait === undefined ? {} : { wait })
  }
  let since = opts.since
  for (;;) {
    const result = await client.GET('/v1/servers/{server}/devices/changes', {
      params: { path: { server }, query: { since, ...fixed } },
      ...(opts.signal === undefined ? {} : { signal: opts.signal })
    })
    if (result.data === undefined) throw new DepgateError(result.response, result.error)
    // `since` is always answered by the mirror's feed; Apple's changes answer `cursor` only.
    if (result.data.source !== 'mirror') throw new Error('depgate answered a since= request with Apple\'s changes')
    yield result.data
    since = result.data.next_since
    if (!result.data.more && opts.follow !== true) return
  }
}
