/**
 * The retry schedule as a function: FAILED after 1 h, 4 h, 24 h, then daily; the last try at the
 * give-up time; THROTTLED doubling from an hour up to a day without Apple's retry_after_seconds.
 */
import t from 'tap'
import { afterAnswer, DAY_MS, HOUR_MS } from '../../src/enrollment/engine-schedule.js'
import type { AssignmentRow } from '../../src/store/index.js'

const START = Date.parse('2026-12-01T00:00:00.000Z')
const row = (over: Partial<AssignmentRow> = {}): AssignmentRow => ({
  server: 'default',
  serial_number: 'S',
  status: 'pending',
  rule: 'r',
  profile: 'p',
  profile_uuid: 'U',
  attempts: 0,
  streak: 0,
  last_result: null,
  last_error: null,
  next_attempt_at: null,
  first_failed_at: null,
  created_at: '',
  updated_at: '',
  ...over
})

t.test('FAILED: 1 h, 4 h, 24 h, then daily until the give-up time', async (t) => {
  let r = row()
  let now = START
  const gaps: number[] = []
  for (let i = 0; i < 12; i++) {
    const o = afterAnswer(r, 'FAILED', { now, giveUpMs: 7 * DAY_MS })
    if (o.next_attempt_at === null) {
      t.equal(o.status, 'gave_up')
      break
    }
    const next = Date.parse(o.next_attempt_at)
    gaps.push((next - now) / HOUR_MS)
    r = row({ ...o, serial_number: 'S' })
    now = next
  }
  t.same(gaps, [1, 4, 24, 24, 24, 24, 24, 24, 19], 'the last gap ends at the give-up time, 7 days after the first failure')
})

t.test('THROTTLED without retry_after_seconds doubles up to a day', async (t) => {
  let r = row()
  const gaps: number[] = []
  for (let i = 0; i < 7; i++) {
    const o = afterAnswer(r, 'THROTTLED', { now: START, giveUpMs: DAY_MS })
    gaps.push((Date.parse(o.next_attempt_at as string) - START) / HOUR_MS)
    r = row({ ...o })
  }
  t.same(gaps, [1, 2, 4, 8, 16, 24, 24])
})
