/**
 * POST …/assignment-rules/apply: the dry run is the preview; the job queues what the preview says
 * and follows each device to its outcome, after which the preview has nothing left to assign and
 * Apple shows the profile; a changed named profile moves its devices to the new UUID in a job.
 * With the engine off the backfill is refused.
 */
import t from 'tap'
import { buildTestApp, until } from '../helper.js'
import { engineApp, PROFILE, S, untilReady } from './engine-app.js'

t.test('the backfill assigns what the preview said, as a job followed to the end', async (t) => {
  const m = await engineApp(t, { devices: 12 })
  await m.app.ready()
  await untilReady(m.app)
  const uuid = await m.profile('macs')
  await m.rules([{ name: 'all', profile: 'macs' }])
  const preview = (await m.call('POST', `${S}/assignment-rules/preview`)).json()
  const dry = await m.call('POST', `${S}/assignment-rules/apply?dry_run=true`)
  t.equal(dry.statusCode, 200)
  t.same(dry.json(), preview, 'the dry run is the preview')
  const serials = preview.rules[0].serials as string[]
  t.ok(serials.length > 0 && preview.rules[0].left_alone > 0, 'some devices to assign, some left alone on another profile')

  const started = await m.call('POST', `${S}/assignment-rules/apply`)
  t.equal(started.statusCode, 202)
  const id = started.json().id as string
  t.match(started.json(), { kind: 'apply_rules', server: 'default' })
  const job = await until('the job to finish', async () => { const j = (await m.call('GET', `/v1/jobs/${id}`)).json(); return j.state === 'succeeded' && j })
  t.ok(job.progress.total <= serials.length && job.progress.done === job.progress.total, 'progress reaches its total')
  const results = (await m.call('GET', `/v1/jobs/${id}/results?limit=100`)).json().results as Array<{ serial: string, status: string }>
  t.ok(results.every((r) => r.status === 'succeeded' && serials.includes(r.serial)))
  for (const serial of serials) t.match((await m.simCall('GET', `/_sim/devices/${serial}`)).device, { profile_uuid: uuid }, `${serial} assigned at Apple`)
  t.match((await m.call('POST', `${S}/assignment-rules/preview`)).json().rules[0], { to_assign: 0, left_alone: preview.rules[0].left_alone }, 'nothing left to assign; the others left alone')

  // The named profile changes: its devices move to the new UUID in a reassign_profile job.
  const changed = await m.call('PUT', `${S}/enrollment-profiles/macs`, { ...PROFILE, profile_name: 'macs', department: 'Engineering' })
  const v2 = changed.json().profile_uuid as string
  t.not(v2, uuid)
  const moved = await until('the reassign job', async () => {
    const j = (await m.call('GET', '/v1/jobs?kind=reassign_profile')).json().jobs[0]
    return j?.state === 'succeeded' && j
  })
  t.match(moved.progress, { done: serials.length, total: serials.length }, 'every device on the older UUID')
  for (const serial of serials) t.match((await m.simCall('GET', `/_sim/devices/${serial}`)).device, { profile_uuid: v2 })
  t.match(await m.row(serials[0]), { status: 'succeeded', profile_uuid: v2, rule: 'macs changed' })
  t.equal((await m.call('GET', '/v1/jobs?kind=reassign_profile')).json().jobs.length, 1, 'one job per change')
})

t.test('with the engine off the backfill is refused', async (t) => {
  const h = await buildTestApp(t, { env: { DEPGATE_MIRROR: 'true' }, simulator: { devices: 2 } })
  await h.app.ready()
  const res = await h.app.inject({ method: 'POST', url: `${S}/assignment-rules/apply`, headers: h.auth() })
  t.match(res.json(), { status: 409, code: 'ASSIGNMENTS_DISABLED' })
})
