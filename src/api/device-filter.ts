/**
 * The filters of `GET …/devices`. A list filter matches any of its values (case-insensitive, so
 * `os=osx` and `model=macbook pro` work as a person would type them); `serial_prefix` any prefix,
 * `description` any substring; `assigned_after` / `assigned_before` bound device_assigned_date.
 * Filters combine with AND. The live list filters page by page as Apple's pages arrive, so a
 * filtered stream never holds more than one page; the mirror's query does the same in SQL
 * (src/store/device-selection.ts).
 */
import type { DeviceFilters, FilterColumn } from '../store/mirror-reads.js'
import type { DeviceListQuery } from './devices.js'

/** Query name → the column its values are compared with for equality. */
const EQUALITY: ReadonlyArray<[keyof DeviceListQuery & string, FilterColumn]> = [
  ['serial', 'serial_number'], ['model', 'model'], ['os', 'os'], ['device_family', 'device_family'],
  ['profile_status', 'profile_status'], ['profile_uuid', 'profile_uuid'], ['asset_tag', 'asset_tag'],
  ['color', 'color'], ['device_assigned_by', 'device_assigned_by']
]

export type DevicePredicate = (device: Record<string, unknown>) => boolean

const text = (device: Record<string, unknown>, field: string): string | undefined => {
  const value = device[field]
  return typeof value === 'string' ? value : undefined
}

/** The filters present in `query` as the mirror's query takes them (values as given; the store compares case-insensitively). */
export function filterLists (query: DeviceListQuery): DeviceFilters {
  const out: DeviceFilters = {}
  for (const [name, column] of EQUALITY) {
    const values = query[name] as string[] | undefined
    if (values !== undefined) out[column] = values
  }
  if (query.serial_prefix !== undefined) out.serial_prefix = query.serial_prefix
  if (query.description !== undefined) out.description = query.description
  if (query.assigned_after !== undefined) out.assigned_after = [query.assigned_after]
  if (query.assigned_before !== undefined) out.assigned_before = [query.assigned_before]
  return out
}

/** A predicate for the filters present in `query`, or undefined when there are none (keep every device). */
export function deviceFilter (query: DeviceListQuery): DevicePredicate | undefined {
  const filters = filterLists(query)
  const tests: DevicePredicate[] = []
  for (const [, column] of EQUALITY) {
    const wanted = filters[column]
    if (wanted === undefined) continue
    const set = new Set(wanted.map((v) => v.toLowerCase()))
    tests.push((d) => set.has(text(d, column)?.toLowerCase() ?? '\u0000'))
  }
  const prefixes = filters.serial_prefix?.map((p) => p.toUpperCase())
  if (prefixes !== undefined) tests.push((d) => prefixes.some((p) => String(d.serial_number).startsWith(p)))
  const parts = filters.description?.map((p) => p.toLowerCase())
  if (parts !== undefined) tests.push((d) => { const v = text(d, 'description')?.toLowerCase(); return v !== undefined && parts.some((p) => v.includes(p)) })
  // Compared as instants: Apple's live answer is not normalised text the way the stored copy is.
  const assigned = (d: Record<string, unknown>): number => Date.parse(String(d.device_assigned_date))
  if (query.assigned_after !== undefined) { const after = Date.parse(query.assigned_after); tests.push((d) => assigned(d) >= after) }
  if (query.assigned_before !== undefined) { const before = Date.parse(query.assigned_before); tests.push((d) => assigned(d) < before) }
  if (tests.length === 0) return undefined
  return (device) => tests.every((test) => test(device))
}
