/**
 * Typed query values. A query string is text, but the OpenAPI document says what the text means
 * (`integer` with its bounds, `boolean`), so a generated client takes a number or a flag instead
 * of a string. Each schema reads the text strictly itself, before the typed schema the document
 * is built from (z.preprocess: the document shows the typed side): what it does not read stays
 * text and is refused by that typed schema with the sentence below.
 */
import { z } from 'zod'

/** Digits only: `1e3`, `-1`, `0x10`, ` 12`, `1.5` and an empty value stay text (z.coerce would take them). */
const DIGITS = /^\d{1,15}$/

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
