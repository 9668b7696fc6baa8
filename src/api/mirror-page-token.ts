/**
 * The mirror list's page token: opaque to callers, base64url of `[sort value, serial, scope]`,
 * where scope is a short hash of what the page was asked for (server, filters, sort, order,
 * removed). A token is only a position in one ordering, so a token reused with other parameters,
 * cut short or made up is refused with a 400 problem instead of silently listing something else.
 */
import { createHash } from 'node:crypto'
import type { DeviceFilters, PagePosition, RemovedFilter, SortKey, SortOrder } from '../store/mirror-reads.js'
import { httpProblem } from '../problems.js'
import { CONTROL_CHARACTER } from './serials.js'

export interface PageScope {
  server: string
  filters: DeviceFilters
  sort: SortKey
  order: SortOrder
  removed: RemovedFilter
}

function scopeHash (scope: PageScope): string {
  // Filters as the query compares them: same values in any order or case give the same hash.
  const filters = (Object.entries(scope.filters) as Array<[string, string[]]>).sort(([a], [b]) => a.localeCompare(b))
    .map(([k, v]) => [k, [...new Set(v.map((x) => x.toLowerCase()))].sort()])
  return createHash('sha256').update(JSON.stringify([scope.server, scope.sort, scope.order, scope.removed, filters])).digest('base64url').slice(0, 12)
}

export function encodePageToken (position: PagePosition, scope: PageScope): string {
  return Buffer.from(JSON.stringify([position.value, position.serial, scopeHash(scope)])).toString('base64url')
}

const invalid = (why: string) => httpProblem(400, 'INVALID_PAGE_TOKEN', `The page_token ${why}. Pass the next_page_token of the previous page unchanged, with the same filters, sort, order and removed; or leave page_token out to start from the first page.`, {
  errors: [{ field: 'querystring.page_token', message: why }]
})

export function decodePageToken (token: string, scope: PageScope): PagePosition {
  let parsed: unknown
  try {
    parsed = JSON.parse(Buffer.from(token, 'base64url').toString('utf8'))
  } catch {
    throw invalid('is not one depgate gave out')
  }
  if (!Array.isArray(parsed) || parsed.length !== 3 || !parsed.every((p) => typeof p === 'string' && !CONTROL_CHARACTER.test(p))) throw invalid('is not one depgate gave out')
  const [value, serial, hash] = parsed as [string, string, string]
  if (hash !== scopeHash(scope)) throw invalid('was given out for other filters, sort, order or removed')
  return { value, serial }
}
