/**
 * The engine's retry schedule, driven by the app's manual clock and the simulator's per-serial
 * answers (no sleeping): a whole call failing waits without spending an attempt; THROTTLED with
 * Apple's retry_after_seconds, then without it (an hour, doubling); FAILED after 1 h, 4 h, 24 h
 * until the give-up time; NOT_ACCESSIBLE stops; a retry makes the rest due at once.
 */
import t from 'tap'
import { ManualScheduler } from '../../src/scheduler.js'
import { engineApp, S, untilReady } from './engine-app.js'

const MIN = 60_000
const HOUR = 60 * MIN
const T = 'ENGT00000001'
const F = 'ENGF00000001'
const N = 'ENGN00000001'
const W = 'ENGW00000001'

t.test('THROTTLED, FAILED and NOT_ACCESSIBLE follow the schedule; a failed call spends no attempt', async (t) => {
  const clock = new ManualScheduler()
  const m = await engineApp(t, { scheduler: clock, env: { DEPGATE_ASSIGN_GIVE_UP_DAYS: '1' } })
  await m.app.ready()
  await clock.advance(0)
  await untilReady(m.app)
  const at = (ms: number): string => new Date(t0 + ms).toISOString()
  await m.profile('macs')
  await m.rules([{ name: 'eng', match: { serial_prefix: 'ENG' }, profile: 'macs' }])

  // A whole call failing: the batch waits five minutes, its attempts untouched.
  await m.simCall('POST', '/_sim/faults', { endpoint: 'assign_profile', kind: 'status', status: 500, times: 1 })
  await m.addDevices([{ serial_number: W }])
  const t0 = clock.now()
  await m.sync()
  const waiting = await m.until(`${W} postponed`, async () => { const r = await m.row(W); return r?.last_error != null && r })
  t.match(waiting, { status: 'pending', attempts: 0, next_attempt_at: at(5 * MIN) })
  t.match(waiting.last_error, /call to Apple failed/)
  t.match((await m.app.inject({ url: '/metrics' })).body, /depgate_assignment_queue_depth\{server="default"\} 1\n[^]*depgate_assignment_oldest_pending_seconds\{server="default"\} 0\n/)
  await clock.advance(5 * MIN)
  t.match(await m.row(W), { status: 'succeeded', attempts: 1 }, 'sent again once due')

  await m.simCall('PATCH', '/_sim/config', { throttleSerials: [T, N], failSerials: [F], throttleRetryAfterSec: 120 })
  await m.addDevices([{ serial_number: T }, { serial_number: F }, { serial_number: N }])
  const t1 = clock.now() - t0
  await m.sync()
  t.match(await m.untilStatus(T, 'throttled'), { attempts: 1, last_result: 'THROTTLED', next_attempt_at: at(t1 + 2 * MIN) }, 'Apple\'s retry_after_seconds')
  t.match(await m.untilStatus(F, 'failed'), { attempts: 1, last_result: 'FAILED', next_attempt_at: at(t1 + HOUR) }, 'FAILED: an hour')

  // N leaves the organisation; Apple stops giving retry_after_seconds.
  await m.simCall('DELETE', `/_sim/devices/${N}`)
  await m.simCall('PATCH', '/_sim/config', { throttleRetryAfterSec: 0 })
  await clock.advance(2 * MIN)
  t.match(await m.row(T), { status: 'throttled', attempts: 2, next_attempt_at: at(t1 + 2 * MIN + 2 * HOUR) }, 'without retry_after_seconds: an hour, doubled for the second throttle in a row')
  t.match(await m.row(N), { status: 'not_accessible', attempts: 2, last_result: 'NOT_ACCESSIBLE', next_attempt_at: null })
  const metrics = (await m.app.inject({ url: '/metrics' })).body
  t.match(metrics, /depgate_assignment_queue_depth\{server="default"\} 2\n/, 'T and F wait')
  t.notMatch(metrics, /depgate_assignment_oldest_pending_seconds\{/, 'none pending')
  t.match(metrics, /depgate_assignments_total\{server="default",result="NOT_ACCESSIBLE"\} 1\n/)

  await clock.advance(HOUR)
  t.match(await m.row(F), { status: 'failed', attempts: 2, next_attempt_at: at(t1 + 5 * HOUR) }, 'FAILED again: 4 h')
  await m.simCall('PATCH', '/_sim/config', { throttleSerials: [] })
  await clock.advance(2 * HOUR)
  t.match(await m.row(T), { status: 'succeeded', attempts: 3, last_result: 'SUCCESS', last_error: null })
  t.match((await m.call('GET', `${S}/devices/${T}`)).json(), { profile_status: 'assigned' }, 'the mirror shows it')

  await clock.advance(3 * HOUR)
  t.match(await m.row(F), { status: 'failed', attempts: 3, next_attempt_at: at(t1 + 24 * HOUR) }, 'then 24 h, but the last try is at the give-up time (a day after the first failure)')
  await clock.advance(19 * HOUR)
  t.match(await m.row(F), { status: 'gave_up', attempts: 4, next_attempt_at: null })
  t.match((await m.row(F))?.last_error, /gave up/)
  t.equal(await m.row(N).then((r) => r?.status), 'not_accessible', 'never retried')

  // A retry makes it due now: it fails again (a new schedule), then succeeds once Apple lets it.
  t.same((await m.call('POST', `${S}/assignments/retry`)).json(), { retried: 1 })
  const again = await m.until('the retried send', async () => { const r = await m.row(F); return r?.attempts === 5 && r })
  t.match(again, { status: 'failed', next_attempt_at: new Date(clock.now() + HOUR).toISOString() })
  await m.simCall('PATCH', '/_sim/config', { failSerials: [] })
  t.same((await m.call('POST', `${S}/assignments/retry`)).json(), { retried: 1 })
  t.match(await m.untilStatus(F, 'succeeded'), { attempts: 6 })
  t.same((await m.call('GET', `${S}/assignments?status=not_accessible`)).json().assignments.map((r: { serial: string }) => r.serial), [N])
})
