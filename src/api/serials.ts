/**
 * Serial numbers as callers send them. Apple's serials are 8–14 upper-case letters and digits
 * (10 random characters since 2021, 11–12 before). Scripts often read them from CSV exports or
 * type them by hand, so we accept lower case and upper-case them before calling Apple; anything
 * else (spaces, control characters, non-ASCII, punctuation) is refused with a 400 rather than
 * sent on, because Apple would only answer NOT_ACCESSIBLE for it and a typo would go unnoticed.
 */
import { z } from 'zod'
import { serverParamsSchema } from './route-kit.js'

export const SERIAL_PATTERN = /^[A-Za-z0-9]{8,14}$/
/** Most serials one request may name: bounds memory and keeps one call within Apple's patience. */
export const MAX_SERIALS = 10_000

/** Any C0 control character or DEL: never in a serial, a model or a stored value, and PostgreSQL refuses NUL in text. */
// eslint-disable-next-line no-control-regex -- matching control characters is the point
export const CONTROL_CHARACTER = /[\u0000-\u001f\u007f]/

const serialMessage = 'a serial number is 8 to 14 ASCII letters or digits (e.g. C02XK1ABCDEF); no spaces, punctuation or other characters'

export const serialSchema = z.string(serialMessage)
  .regex(SERIAL_PATTERN, serialMessage)
  .toUpperCase()
  .meta({
    id: 'SerialNumber',
    description: 'A device serial number: 8 to 14 ASCII letters or digits, case-insensitive (upper-cased before it is sent to Apple).',
    examples: ['C02XK1ABCDEF']
  })

/** The first value that appears twice, or undefined. */
function firstDuplicate (values: string[]): string | undefined {
  const seen = new Set<string>()
  for (const v of values) {
    if (seen.has(v)) return v
    seen.add(v)
  }
  return undefined
}

/**
 * A list of 1..`max` distinct serials. Duplicates (after upper-casing) are refused rather than
 * silently merged: the answer is keyed by serial, so a repeated serial is nearly always a
 * copy-paste mistake the caller wants to hear about — and disown counts must match exactly.
 */
export function serialListSchema (max = MAX_SERIALS) {
  return z.array(serialSchema)
    .min(1, 'give at least one serial number')
    .max(max, `at most ${max} serial numbers per request`)
    // Stricter than the document can say: two serials differing only in case are the same serial.
    .meta({ uniqueItems: true })
    .superRefine((serials, ctx) => {
      const dup = firstDuplicate(serials)
      if (dup !== undefined) ctx.addIssue({ code: 'custom', message: `serial ${dup} appears more than once; each serial may be listed only once` })
    })
}

export const serialParamsSchema = serverParamsSchema.extend({ serial: serialSchema })
