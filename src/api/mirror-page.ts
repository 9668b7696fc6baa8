/**
 * One page of the mirror's device list with its total and the token of the next page: what
 * `GET …/devices?limit=` answers and what the dashboard's device table shows, read one way.
 */
import { filterLists } from './device-filter.js'
import type { DeviceListQuery } from './devices.js'
import { MAX_PAGE } from './mirror.js'
import { decodePageToken, encodePageToken, type PageScope } from './mirror-page-token.js'
import type { DevicePage, MirrorReads, RemovedFilter, SortKey, SortOrder } from '../store/mirror-reads.js'

export type MirrorListQuery = DeviceListQuery & {
  sort?: SortKey | undefined
  order?: SortOrder | undefined
  limit?: number | undefined
  page_token?: string | undefined
  removed?: RemovedFilter | undefined
}

/** The list's selection and order as a page token binds them. */
export function pageScope (server: string, query: MirrorListQuery): PageScope {
  return { server, filters: filterLists(query), sort: query.sort ?? 'serial_number', order: query.order ?? 'asc', removed: query.removed ?? 'exclude' }
}

export interface MirrorPage {
  page: DevicePage
  /** Devices the selection holds on all pages. */
  total: number
  /** For the next page; null on the last. */
  token: string | null
}

export async function readMirrorPage (reads: MirrorReads, scope: PageScope, query: Pick<MirrorListQuery, 'limit' | 'page_token'>): Promise<MirrorPage> {
  const after = query.page_token === undefined ? undefined : decodePageToken(query.page_token, scope)
  const page = await reads.listDevices(scope.server, { ...scope, limit: query.limit ?? MAX_PAGE, after })
  const total = await reads.countDevices(scope.server, scope)
  return { page, total, token: page.next === undefined ? null : encodePageToken(page.next, scope) }
}
