/**
 * profile.assigned, profile.assignment_failed and profile.assignment_gave_up come from the
 * assignment engine's outcome writes, job.finished from the job runner's final-state write: each
 * reaches a real receiver on 127.0.0.1, signed and verified with standardwebhooks, with the row's
 * data (profile, rule, attempts, Apple's result) or the job as the API shows it. The engine's
 * retries and the dispatcher run on the app's manual clock (no sleeping); both databases.
 */
import t from 'tap'
import { ManualScheduler } from '../../src/scheduler.js'
import { testDialectFromEnv } from '../databases.js'
import { engineApp, S, untilReady } from '../enrollment/engine-app.js'
import { startReceiver, verifyAt } from './receiver.js'

const HOUR = 3_600_000
const OK = 'EVTS00000001'
const BAD = 'EVTF00000001'

interface Event { type: string, data: Record<string, unknown> }

t.test('assignment outcomes and a finished job become signed events', async (t) => {
  const receiver = await startReceiver()
  t.teardown(receiver.close)
  const clock = new ManualScheduler()
  const m = await engineApp(t, { scheduler: clock, dialect: testDialectFromEnv(), env: { DEPGATE_ASSIGN_GIVE_UP_DAYS: '1' } })
  await m.app.ready()
  await clock.advance(0)
  await untilReady(m.app)
  const sub = (await m.call('POST', '/v1/webhooks', { url: receiver.url('/hook'), events: ['profile.assigned', 'profile.assignment_failed', 'profile.assignment_gave_up', 'job.finished'], servers: ['default'] })).json() as { secret: string }
  const verified: Event[] = []
  const events = async (n: number): Promise<Event[]> => {
    await m.until(`${n} events`, async () => {
      if (receiver.at('/hook').length >= n) return true
      // The test app's dispatcher does not tick on a manual clock (test/helper.ts): tick it here.
      await m.app.webhooks.dispatcher.tick()
      await m.app.webhooks.dispatcher.idle()
      return false
    })
    // Verified as they arrive: at the clock of their sending (the clock moves days on later).
    for (const r of receiver.at('/hook').slice(verified.length)) verified.push(verifyAt(sub.secret, r, clock.now()) as Event)
    return verified
  }
  const uuid = await m.profile('macs')
  await m.rules([{ name: 'evt', match: { serial_prefix: 'EVT' }, profile: 'macs' }])
  await m.simCall('PATCH', '/_sim/config', { failSerials: [BAD] })
  await m.addDevices([{ serial_number: OK }, { serial_number: BAD }])
  await m.sync()
  await m.untilStatus(OK, 'succeeded')
  await m.untilStatus(BAD, 'failed')
  const first = await events(2)
  const common = { server: 'default', profile: 'macs', profile_uuid: uuid, rule: 'evt', attempts: 1 }
  t.same(first.map((e) => e.type).sort(), ['profile.assigned', 'profile.assignment_failed'])
  t.match(first.find((e) => e.type === 'profile.assigned'), { data: { ...common, serial_number: OK, status: 'succeeded', result: 'SUCCESS', error: null } })
  t.match(first.find((e) => e.type === 'profile.assignment_failed'), { data: { ...common, serial_number: BAD, status: 'failed', result: 'FAILED', next_attempt_at: String } })

  // FAILED after 1 h and 4 h, then the last try at the give-up time (a day after the first failure).
  await clock.advance(HOUR)
  await events(3)
  await clock.advance(4 * HOUR)
  await events(4)
  await clock.advance(19 * HOUR)
  await m.untilStatus(BAD, 'gave_up')
  const all = await events(5)
  t.same(all.slice(2).map((e) => [e.type, e.data.attempts]), [['profile.assignment_failed', 2], ['profile.assignment_failed', 3], ['profile.assignment_gave_up', 4]])
  t.match(all[4], { data: { ...common, serial_number: BAD, attempts: 4, status: 'gave_up', result: 'FAILED', next_attempt_at: null, error: /gave up/ } })

  // A job run asynchronously: job.finished carries the job as GET /v1/jobs/{id} shows it.
  const started = await m.app.inject({ method: 'PUT', url: `${S}/profiles/${uuid}/devices`, headers: { ...m.auth(), prefer: 'respond-async' }, payload: { serials: [OK] } })
  t.equal(started.statusCode, 202)
  const jobId = (started.json() as { id: string }).id
  const [finished] = (await events(6)).slice(5)
  const shown = (await m.call('GET', `/v1/jobs/${jobId}`)).json()
  t.same(finished, { ...finished, type: 'job.finished', data: shown })
  t.match(finished.data, { id: jobId, kind: 'assign_profile', server: 'default', state: 'succeeded', progress: { done: 1, total: 1 } })
  t.notOk(JSON.stringify(all.concat(finished)).includes('whsec_'), 'no secret in any payload')
})
