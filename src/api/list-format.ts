/**
 * The forms a device list is answered in: JSON (the default), NDJSON or CSV, chosen by Accept
 * (src/api/negotiation.ts) or by `?format=` where a header is awkward (a link in a spreadsheet,
 * a browser).
 */
import { z } from 'zod'

export type ListFormat = 'json' | 'ndjson' | 'csv'

/** `format` query value → media type. */
export const LIST_FORMATS: Readonly<Record<ListFormat, string>> = {
  json: 'application/json',
  ndjson: 'application/x-ndjson',
  csv: 'text/csv'
}

/** NDJSON's other names: taken in Accept, answered as application/x-ndjson (so the document lists only that). */
export const NDJSON_ALIASES = ['application/jsonl', 'application/x-jsonlines'] as const

/** What a device list produces, preferred first; NDJSON is also known by its other names. */
export const LIST_TYPES = [LIST_FORMATS.json, LIST_FORMATS.ndjson, LIST_FORMATS.csv, ...NDJSON_ALIASES] as const

export const listFormatSchema = z.enum(['json', 'ndjson', 'csv']).optional()
  .describe('The answer\'s form, instead of the Accept header: `json` (default), `ndjson` (a device a line) or `csv` (a spreadsheet: header row, a column per device field)')

const FORMAT_OF: Readonly<Record<string, ListFormat>> = {
  [LIST_FORMATS.json]: 'json',
  [LIST_FORMATS.ndjson]: 'ndjson',
  [LIST_FORMATS.csv]: 'csv',
  ...Object.fromEntries(NDJSON_ALIASES.map((type) => [type, 'ndjson']))
}

/** The list format of the media type negotiation chose, one of LIST_TYPES (the hook sets it on every list request). */
export function listFormat (type: string | undefined): ListFormat {
  return FORMAT_OF[type as string]
}
