/**
 * Points in time in answers, documented as `format: date-time` (RFC 3339) so a generated client
 * can read them as dates. Documented, not checked on the way out: depgate's own are
 * toISOString()'s, and Apple's pass through as Apple wrote them (whole seconds with a Z,
 * docs/apple-dep.md §2.15.1), where refusing one Apple spelled otherwise would fail the answer.
 */
import { z } from 'zod'

export const timestamp = () => z.string().meta({ format: 'date-time' })

/** A day without a time (Apple's replacement_date, docs/apple-dep.md §2.11). */
export const day = () => z.string().meta({ format: 'date' })
