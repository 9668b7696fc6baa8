/**
 * What becomes of an outbox row once Apple answered for its serial (docs/apple-dep.md §2.8: the
 * per-device statuses of an assignment):
 * - SUCCESS: succeeded, nothing more to do.
 * - NOT_ACCESSIBLE: the device is not this server's (released, or another server's): recorded, never retried.
 * - THROTTLED: again after Apple's `retry_after_seconds` when it gave one, else after an hour,
 *   doubling with each throttle in a row up to a day.
 * - FAILED (and any status Apple may add): again after 1 h, 4 h, 24 h, then daily, until the
 *   give-up time after the first failure (DEPGATE_ASSIGN_GIVE_UP_DAYS): the last try is at that
 *   moment, and failing it the row gives up.
 */
import type { AssignmentRow, Outcome } from '../store/index.js'

export const HOUR_MS = 3_600_000
export const DAY_MS = 24 * HOUR_MS
const FAILED_STEPS = [HOUR_MS, 4 * HOUR_MS, DAY_MS]

export interface ScheduleContext {
  now: number
  /** Apple's `retry_after_seconds` of the answer, if any. */
  retryAfterSeconds?: number
  giveUpMs: number
}

const iso = (ms: number): string => new Date(ms).toISOString()

export function afterAnswer (row: AssignmentRow, result: string, ctx: ScheduleContext): Outcome {
  const streak = row.last_result === result ? row.streak + 1 : 1
  const base = { serial: row.serial_number, profileUuid: row.profile_uuid, attempts: row.attempts + 1, streak, last_result: result }
  if (result === 'SUCCESS') {
    return { ...base, status: 'succeeded', last_error: null, next_attempt_at: null, first_failed_at: null }
  }
  if (result === 'NOT_ACCESSIBLE') {
    return { ...base, status: 'not_accessible', last_error: 'Apple says this device is not accessible to this server (released, or assigned to another MDM server); not retried.', next_attempt_at: null, first_failed_at: row.first_failed_at }
  }
  if (result === 'THROTTLED') {
    const given = ctx.retryAfterSeconds !== undefined && ctx.retryAfterSeconds > 0
    const delay = given ? ctx.retryAfterSeconds! * 1000 : Math.min(HOUR_MS * 2 ** (streak - 1), DAY_MS)
    const next = iso(ctx.now + delay)
    return { ...base, status: 'throttled', last_error: `Apple throttled this assignment; it is sent again at ${next}.`, next_attempt_at: next, first_failed_at: row.first_failed_at }
  }
  const firstFailed = row.first_failed_at ?? iso(ctx.now)
  const deadline = Date.parse(firstFailed) + ctx.giveUpMs
  if (ctx.now >= deadline) {
    return { ...base, status: 'gave_up', last_error: `Apple answered ${result} for this assignment since ${firstFailed}; depgate gave up (POST …/assignments/retry tries again).`, next_attempt_at: null, first_failed_at: firstFailed }
  }
  const next = iso(Math.min(ctx.now + (FAILED_STEPS[streak - 1] ?? DAY_MS), deadline))
  return { ...base, status: 'failed', last_error: `Apple answered ${result} for this assignment; it is sent again at ${next}.`, next_attempt_at: next, first_failed_at: firstFailed }
}
