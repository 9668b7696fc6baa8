/**
 * `profile.assigned`, `profile.assignment_failed`, `profile.assignment_gave_up`: one event per
 * device whose assignment Apple answered for with a lasting outcome (docs/apple-dep.md §2.8: SUCCESS,
 * or a failure status per serial). A throttled row is only postponed and sends nothing; a device
 * Apple calls NOT_ACCESSIBLE is a failure that is not retried, reported as `assignment_failed`.
 * Recorded in the transaction that writes the outcome (store/assignments.ts).
 */
import type { EventInput, EventType } from './types.js'

const TYPES: Partial<Record<string, EventType>> = {
  succeeded: 'profile.assigned',
  failed: 'profile.assignment_failed',
  not_accessible: 'profile.assignment_failed',
  gave_up: 'profile.assignment_gave_up'
}

/** The assignment row as written (its columns after the outcome). */
export interface AssignmentOutcomeRow {
  serial_number: string
  status: string
  rule: string
  profile: string
  profile_uuid: string
  attempts: number
  last_result: string | null
  last_error: string | null
  next_attempt_at: string | null
}

/** The event an outcome causes, or undefined (throttled: nothing lasting happened). */
export function assignmentEvent (server: string, row: AssignmentOutcomeRow): EventInput | undefined {
  const type = TYPES[row.status]
  if (type === undefined) return undefined
  return {
    type,
    server,
    data: {
      server,
      serial_number: row.serial_number,
      profile: row.profile,
      profile_uuid: row.profile_uuid,
      rule: row.rule,
      status: row.status,
      attempts: Number(row.attempts),
      result: row.last_result,
      error: row.last_error,
      next_attempt_at: row.next_attempt_at
    }
  }
}
