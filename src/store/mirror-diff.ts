/**
 * What one page from Apple changes in the mirror (docs/apple-dep.md §3.3): pure, so the rules are tested
 * without a database.
 * - A serial repeated in a page resolves to the record with the latest `op_date` (a later position
 *   wins a tie or when Apple sent no date).
 * - `added` or `modified` for a serial never seen (or seen removed) counts as added: a device moved
 *   from another MDM server may arrive as `modified` only.
 * - `deleted` removes a present device; for an unknown or already removed serial it changes nothing.
 * - A record identical to the stored one is no change (a full re-fetch repeats every device).
 * - A sync record older than the one applied last (by `op_date`) is stale and skipped.
 */
export interface DeviceRecord {
  serial_number: string
  op_type?: string
  op_date?: string
  [field: string]: unknown
}

export interface ExistingDevice {
  serial_number: string
  record: string
  removed_at: string | null
  op_date: string | null
}

export interface PlannedChange {
  serial: string
  op: 'added' | 'modified' | 'removed'
  /** The device as stored after the change (JSON, without op_type / op_date). */
  record: string
  opDate: string | null
  fields: Record<FieldColumn, string | null>
}

/** Apple's fields copied into columns of inventory_devices (schema.ts) for filters, sorting and the summary. */
export const FIELD_COLUMNS = ['model', 'os', 'device_family', 'profile_status', 'profile_uuid', 'device_assigned_date', 'asset_tag', 'color', 'description', 'device_assigned_by'] as const
export type FieldColumn = typeof FIELD_COLUMNS[number]

/** The copies of Apple's fields that filters, sorting and the summary use. */
export function filterFields (d: Record<string, unknown>): PlannedChange['fields'] {
  // Only a string is copied: a column compares text.
  return Object.fromEntries(FIELD_COLUMNS.map((column) => [column, typeof d[column] === 'string' ? d[column] : null])) as PlannedChange['fields']
}

/** JSON with the keys sorted, so the same device always stores the same text whatever order Apple sent. */
export function canonicalJson (fields: Record<string, unknown>): string {
  const sorted: Record<string, unknown> = {}
  for (const key of Object.keys(fields).sort()) sorted[key] = fields[key]
  return JSON.stringify(sorted)
}

export interface PagePlan {
  changes: PlannedChange[]
  /** Present serials the page repeated without a change. */
  unchanged: string[]
}

/** Keeps, per serial, the record with the latest op_date; the order of first appearance is kept. */
export function latestPerSerial (devices: readonly DeviceRecord[]): DeviceRecord[] {
  const latest = new Map<string, DeviceRecord>()
  for (const device of devices) {
    const seen = latest.get(device.serial_number)
    if (seen === undefined || (device.op_date ?? '') >= (seen.op_date ?? '')) latest.set(device.serial_number, device)
  }
  return [...latest.values()]
}

export function diffPage (phase: 'fetch' | 'sync', devices: readonly DeviceRecord[], existing: ReadonlyMap<string, ExistingDevice>): PagePlan {
  const plan: PagePlan = { changes: [], unchanged: [] }
  for (const device of latestPerSerial(devices)) {
    const { op_type: opType, op_date: opDate, ...fields } = device
    const row = existing.get(device.serial_number)
    const present = row !== undefined && row.removed_at === null
    if (phase === 'sync' && row?.op_date != null && opDate !== undefined && opDate < row.op_date) continue
    if (phase === 'sync' && opType === 'deleted') {
      if (!present) continue
      // Keep what was known and add what the deletion says (e.g. released_by_replacement).
      const merged = { ...JSON.parse(row.record) as Record<string, unknown>, ...fields }
      plan.changes.push({ serial: device.serial_number, op: 'removed', record: canonicalJson(merged), opDate: opDate ?? null, fields: filterFields(merged) })
      continue
    }
    const record = canonicalJson(fields)
    if (present && row.record === record) {
      plan.unchanged.push(device.serial_number)
      continue
    }
    plan.changes.push({ serial: device.serial_number, op: present ? 'modified' : 'added', record, opDate: opDate ?? null, fields: filterFields(fields) })
  }
  return plan
}
