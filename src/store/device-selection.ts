/**
 * Which of a server's mirrored devices a read selects: the removed filter and the list filters,
 * as one WHERE clause written once for SQLite and PostgreSQL. Text filters compare lower-cased
 * values (an admin types `os=osx`); LIKE patterns escape the caller's `%` and `_`.
 */
import { type Expression, type ExpressionBuilder, type SqlBool, sql } from 'kysely'
import type { Database } from './schema.js'

/** Devices Apple no longer shows are kept, stamped `removed_at`: leave them out (default), add them, or list only them. */
export type RemovedFilter = 'exclude' | 'include' | 'only'

/** Columns compared for equality with any of a filter's values, case-insensitively. */
export const FILTER_COLUMNS = ['serial_number', 'model', 'os', 'device_family', 'profile_status', 'profile_uuid', 'asset_tag', 'color', 'device_assigned_by'] as const
export type FilterColumn = typeof FILTER_COLUMNS[number]
/**
 * Column → accepted values (any of them matches, case-insensitively), and the other tests:
 * `serial_prefix` (any prefix), `description` (any substring, case-insensitive),
 * `assigned_after` (on or after) and `assigned_before` (before), one ISO 8601 instant each, in
 * Apple's form (`2026-01-15T09:30:00Z`, seconds, UTC) so that text order is time order.
 * Filters combine with AND.
 */
export type DeviceFilters = Partial<Record<FilterColumn | 'serial_prefix' | 'description' | 'assigned_after' | 'assigned_before', string[]>>

export interface DeviceSelection {
  filters?: DeviceFilters
  removed?: RemovedFilter
}

type Eb = ExpressionBuilder<Database, 'inventory_devices'>

/** A LIKE pattern's text with its wildcards (and the escape character) taken literally. */
export function likeEscape (text: string): string {
  return text.replace(/[\\%_]/g, (c) => `\\${c}`)
}

/** `column LIKE pattern`, escaped with a backslash; the same on both dialects (SQLite has no default escape). */
function like (column: Expression<string | null>, pattern: string): Expression<SqlBool> {
  return sql<SqlBool>`${column} like ${pattern} escape '\\'`
}

export function selectionWhere (eb: Eb, server: string, sel: DeviceSelection): Expression<SqlBool> {
  const parts: Array<Expression<SqlBool>> = [eb('server', '=', server)]
  const removed = sel.removed ?? 'exclude'
  if (removed === 'exclude') parts.push(eb('removed_at', 'is', null))
  if (removed === 'only') parts.push(eb('removed_at', 'is not', null))
  const filters = sel.filters ?? {}
  // An empty list matches nothing (as `?os=,` does for the live list).
  if (Object.values(filters).some((wanted) => wanted.length === 0)) return eb.lit(false)
  for (const column of FILTER_COLUMNS) {
    const wanted = filters[column]
    if (wanted === undefined) continue
    // Apple's serials are upper-case letters and digits: compared upper-cased, so the primary key serves it.
    if (column === 'serial_number') parts.push(eb('serial_number', 'in', wanted.map((v) => v.toUpperCase())))
    else parts.push(eb(eb.fn('lower', [eb.ref(column)]), 'in', wanted.map((v) => v.toLowerCase())))
  }
  if (filters.serial_prefix !== undefined) {
    parts.push(eb.or(filters.serial_prefix.map((p) => like(eb.ref('serial_number'), `${likeEscape(p.toUpperCase())}%`))))
  }
  if (filters.description !== undefined) {
    // lower() on both sides: SQLite's LIKE ignores ASCII case, PostgreSQL's does not.
    parts.push(eb.or(filters.description.map((d) => like(eb.fn('lower', [eb.ref('description')]), `%${likeEscape(d.toLowerCase())}%`))))
  }
  if (filters.assigned_after !== undefined) parts.push(eb('device_assigned_date', '>=', filters.assigned_after[0]))
  if (filters.assigned_before !== undefined) parts.push(eb('device_assigned_date', '<', filters.assigned_before[0]))
  return eb.and(parts)
}
