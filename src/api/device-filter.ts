/**
 * The filters of `GET …/devices`. Each query value is a comma-separated list; a device passes when,
 * for every filter given, its field equals one of the values (case-insensitive, so `os=osx` and
 * `model=macbook pro` work as a person would type them). Filtering happens page by page as Apple's
 * pages arrive, so a filtered stream never holds more than one page.
 */
import type { DeviceFilters, FilterColumn } from '../store/mirror-reads.js'
import type { DeviceListQuery } from './devices.js'

const FILTER_FIELDS = ['serial', 'model', 'os', 'device_family', 'profile_status', 'profile_uuid'] as const
const DEVICE_FIELD: Record<typeof FILTER_FIELDS[number], FilterColumn> = {
  serial: 'serial_number',
  model: 'model',
  os: 'os',
  device_family: 'device_family',
  profile_status: 'profile_status',
  profile_uuid: 'profile_uuid'
}

export type DevicePredicate = (device: Record<string, unknown>) => boolean

function values (raw: string): Set<string> {
  return new Set(raw.split(',').map((v) => v.trim().toLowerCase()).filter((v) => v.length > 0))
}

/** A predicate for the filters present in `query`, or undefined when there are none (keep every device). */
export function deviceFilter (query: DeviceListQuery): DevicePredicate | undefined {
  const tests: Array<[string, Set<string>]> = []
  for (const name of FILTER_FIELDS) {
    const raw = query[name]
    if (raw !== undefined) tests.push([DEVICE_FIELD[name], values(raw)])
  }
  if (tests.length === 0) return undefined
  return (device) => tests.every(([field, wanted]) => {
    const value = device[field]
    return typeof value === 'string' && wanted.has(value.toLowerCase())
  })
}

/** The same filters as lists for the mirror's query (values trimmed, empty ones dropped; the store compares case-insensitively). */
export function filterLists (query: DeviceListQuery): DeviceFilters {
  const out: DeviceFilters = {}
  for (const name of FILTER_FIELDS) {
    const raw = query[name]
    if (raw !== undefined) out[DEVICE_FIELD[name]] = [...values(raw)]
  }
  return out
}
