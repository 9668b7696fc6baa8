/**
 * The per-serial outcome of an activity exists only in the CSV its `downloadUrl` serves
 * (docs/apple-axm.md §5.3). Apple documents no columns; the reader finds the serial, result and
 * reason columns by name, in the spellings the simulator and clients use, and keeps every column.
 */

export interface ActivityLogRow {
  serial: string
  /** e.g. `SUCCESS` or `FAILED`, as the log says it. */
  result: string
  reason?: string
  columns: Record<string, string>
}

/** RFC 4180 fields: quoted fields may hold commas, doubled quotes and line breaks. */
export function parseCsv (text: string): string[][] {
  const rows: string[][] = []
  let row: string[] = []
  let field = ''
  let quoted = false
  for (let i = 0; i < text.length; i++) {
    const c = text[i]
    if (quoted) {
      if (c === '"' && text[i + 1] === '"') { field += '"'; i++ } else if (c === '"') quoted = false
      else field += c
    } else if (c === '"') quoted = true
    else if (c === ',') { row.push(field); field = '' } else if (c === '\n' || c === '\r') {
      if (c === '\r' && text[i + 1] === '\n') i++
      row.push(field)
      rows.push(row)
      row = []
      field = ''
    } else field += c
  }
  if (field !== '' || row.length > 0) rows.push([...row, field])
  return rows.filter((r) => r.some((f) => f !== ''))
}

const SERIAL = ['serial', 'serialnumber', 'serial number', 'device']
const RESULT = ['result', 'status', 'outcome']
const REASON = ['reason', 'message', 'error', 'details']

export function readActivityLog (text: string): ActivityLogRow[] {
  const [header = [], ...rows] = parseCsv(text)
  const names = header.map((h) => h.trim().toLowerCase())
  const pick = (candidates: string[]): number => names.findIndex((n) => candidates.includes(n))
  const serial = pick(SERIAL)
  const result = pick(RESULT)
  const reason = pick(REASON)
  return rows.map((cells) => {
    const columns: Record<string, string> = {}
    header.forEach((h, i) => { columns[h] = cells[i] ?? '' })
    const row: ActivityLogRow = { serial: cells[serial] ?? '', result: cells[result] ?? '', columns }
    if (reason >= 0 && cells[reason] !== undefined && cells[reason] !== '') row.reason = cells[reason]
    return row
  })
}
