/**
 * Typed query values. A query string is text, but the OpenAPI document says what the text means
 * (`integer` with its bounds, `boolean`), so a generated client takes a number or a flag instead
 * of a string. Each schema reads the text strictly itself, before the typed schema the document
 * is built from (z.preprocess: the document shows the typed side): what it does not read stays
 * text and is refused by that typed schema with the sentence below.
 */
import { z } from 'zod'
import { CONTROL_CHARACTER } from './serials.js'

/**
 * Digits only: `1e3`, `-1`, `0x10`, ` 12`, `1.5` and an empty value stay text (z.coerce would take
 * them). Up to 16 digits, so every bound up to Number.MAX_SAFE_INTEGER is reachable; a 16-digit
 * value above it rounds, but to a number above it, which the bound refuses.
 */
const DIGITS = /^\d{1,16}$/

/** A whole number from `min` to `max`, documented as an `integer` with those bounds. */
export const queryInteger = (min: number, max: number) => z.preprocess(
  (v) => typeof v === 'string' && DIGITS.test(v) ? Number(v) : v,
  z.number({ error: `a whole number from ${min} to ${max}` }).int().min(min).max(max)
)

/**
 * A flag, documented as a `boolean`: exactly `true` or `false`, as the routes always took them
 * (a client's `true` arrives as that text), and `fallback` when absent.
 */
export const queryFlag = (fallback: boolean) => z.preprocess(
  (v) => v === 'true' ? true : v === 'false' ? false : v,
  z.boolean({ error: 'must be true or false' }).default(fallback)
)

/**
 * Most values one list parameter carries, commas split. In practice the URL's own bound (Node
 * reads at most 16 KiB of request line and headers) comes first.
 */
export const MAX_LIST_VALUES = 1000
const MAX_VALUE_LENGTH = 8000

/** Query text: bounded, and without control characters (PostgreSQL refuses NUL in text). */
export const queryText = z.string().max(MAX_VALUE_LENGTH)
  .refine((v) => !CONTROL_CHARACTER.test(v), 'must not contain control characters')

/** A comma-separated piece, trimmed; one holding a control character is left whole for `queryText` to refuse (trim would hide a tab or newline). */
const piece = (s: string): string => CONTROL_CHARACTER.test(s) ? s : s.trim()

/**
 * A parameter given once (`os=iOS`) or repeated (`os=iOS&os=iPadOS`), and with `commas` also as
 * `os=iOS,iPadOS` (empty pieces dropped): always a list, documented as an array of `item`, which a
 * generated client sends by repeating the parameter. Repeated values are accepted (they match
 * what one of them matches), so the document does not say `uniqueItems`.
 */
export function queryList<T extends z.ZodType> (item: T, { commas }: { commas: boolean }) {
  return z.preprocess((v) => {
    const values: unknown = typeof v === 'string' ? [v] : v
    if (!commas || !Array.isArray(values)) return values
    return values.flatMap((x: unknown) => typeof x === 'string' ? x.split(',').map(piece).filter((s) => s.length > 0) : [x])
  }, z.array(item).max(MAX_LIST_VALUES, `at most ${MAX_LIST_VALUES} values`))
}

/**
 * One of Apple's known `values`, documented as an enum; any case is taken (`os=osx`, as people
 * type it, as the filters always took it) and answered in Apple's spelling.
 */
export function queryChoice<const V extends readonly [string, ...string[]]> (values: V) {
  const byLowerCase = new Map(values.map((v) => [v.toLowerCase(), v]))
  return z.preprocess(
    (v) => typeof v === 'string' ? byLowerCase.get(v.toLowerCase()) ?? v : v,
    z.enum(values, { error: `must be one of ${values.join(', ')}` })
  )
}
