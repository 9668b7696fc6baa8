/**
 * Device lists as CSV for spreadsheets: RFC 4180 (CRLF, quoting by csv-stringify, never by hand),
 * UTF-8 with a byte order mark (without it Excel reads UTF-8 as the system's legacy code page),
 * a header row, one column per device field Apple documents. The columns are fixed, not taken from
 * the devices: the header goes out before the first device is read, and a field Apple adds later
 * stays in the JSON answers. A cell starting with `=`, `+`, `-`, `@`, tab or carriage return is
 * prefixed with `'` (csv-stringify's escape_formulas), so a spreadsheet shows a device's
 * description instead of running it as a formula (OWASP "CSV injection").
 *
 * Lists are written a batch or a page at a time, like NDJSON: the caller's generator yields the
 * CSV text of one batch, so 100,000 devices never sit in memory.
 */
import { stringify } from 'csv-stringify/sync'
import { deviceSchema } from './devices.js'

export const CSV_CONTENT_TYPE = 'text/csv; charset=utf-8; header=present'

/** Fields that only change records or device details carry: never on a listed device. */
const NOT_LISTED = new Set(['op_type', 'op_date', 'response_status'])

/** Columns of Apple's list, in the Device schema's order. */
export const DEVICE_COLUMNS: readonly string[] = Object.keys(deviceSchema.shape).filter((k) => !NOT_LISTED.has(k))
/** The mirror's list adds when a device left the server. */
export const MIRROR_COLUMNS: readonly string[] = [...DEVICE_COLUMNS, 'removed_at']

/** One cell: absent is empty, a list (imei, meid) is its values joined with a comma, a boolean is true/false. */
export function csvCell (value: unknown): string {
  if (value === undefined || value === null) return ''
  if (Array.isArray(value)) return value.map(String).join(',')
  return typeof value === 'object' ? JSON.stringify(value) : String(value)
}

/** The CSV text of `devices`, with the byte order mark and header row first when `first`. */
export function csvText (columns: readonly string[], devices: ReadonlyArray<Record<string, unknown>>, first: boolean): string {
  return stringify(devices.map((d) => columns.map((c) => csvCell(d[c]))), {
    columns: [...columns],
    header: first,
    bom: first,
    record_delimiter: 'windows',
    escape_formulas: true
  })
}

/** Content-Disposition of a list download: a file name a person recognises, of safe characters only. */
export function csvDisposition (server: string): string {
  return `attachment; filename="depgate-${server.replace(/[^A-Za-z0-9._-]/g, '_')}-devices.csv"`
}

/** Batches of devices as CSV text, the header with the first (also when there are no devices). */
export async function * csvBatches (columns: readonly string[], batches: AsyncIterable<ReadonlyArray<Record<string, unknown>>>): AsyncGenerator<string, void, undefined> {
  let first = true
  for await (const batch of batches) {
    if (batch.length === 0) continue
    yield csvText(columns, batch, first)
    first = false
  }
  if (first) yield csvText(columns, [], true)
}
