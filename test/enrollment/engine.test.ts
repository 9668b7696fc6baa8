/**
 * The assignment engine end to end, real HTTP against the simulator: a new device matching a rule
 * is assigned after the next sync and the mirror shows it at once; the first matching rule wins;
 * replace false leaves a hand-assigned device alone; the outbox is listed, paged and filtered.
 */
import t from 'tap'
import { engineApp, S, untilReady } from './engine-app.js'

t.test('new devices get their first matching rule\'s profile after the next sync', async (t) => {
  const m = await engineApp(t)
  await m.app.ready()
  await untilReady(m.app)
  const macs = await m.profile('macs')
  const ipads = await m.profile('ipads')
  const hand = (await m.call('POST', `${S}/profiles`, { profile_name: 'By hand', url: 'https://mdm.example.com/enroll' })).json().profile_uuid as string
  await m.rules([
    { name: 'a-first', match: { serial_prefix: 'ENGA' }, profile: 'macs' },
    { name: 'eng', match: { serial_prefix: 'ENG' }, profile: 'ipads' },
    { name: 'hand', match: { serial_prefix: 'HAND' }, profile: 'macs' }
  ])
  await m.addDevices([
    { serial_number: 'ENGA00000001' },
    { serial_number: 'ENGB00000001' },
    { serial_number: 'HAND00000001', profile_status: 'assigned', profile_uuid: hand }
  ])
  await m.sync()

  t.match(await m.untilStatus('ENGA00000001', 'succeeded'), { rule: 'a-first', profile: 'macs', profile_uuid: macs, attempts: 1, last_result: 'SUCCESS', next_attempt_at: null }, 'the first matching rule wins')
  t.match(await m.untilStatus('ENGB00000001', 'succeeded'), { rule: 'eng', profile: 'ipads', profile_uuid: ipads })
  t.equal(await m.row('HAND00000001'), undefined, 'a device on another profile is left alone without replace')

  const device = (await m.call('GET', `${S}/devices/ENGA00000001`)).json()
  t.match(device, { profile_uuid: macs, profile_status: 'assigned' }, 'the mirror shows the assignment at once')
  t.match((await m.simCall('GET', '/_sim/devices/ENGA00000001')).device, { profile_uuid: macs }, 'Apple has it')
  t.match((await m.simCall('GET', '/_sim/devices/HAND00000001')).device, { profile_uuid: hand })

  t.test('the outbox is paged and filtered', async (t) => {
    const first = (await m.call('GET', `${S}/assignments?limit=1`)).json()
    t.equal(first.assignments.length, 1)
    t.type(first.next_page_token, 'string')
    const second = (await m.call('GET', `${S}/assignments?limit=1&page_token=${first.next_page_token as string}`)).json()
    t.not(second.assignments[0].serial, first.assignments[0].serial)
    t.same((await m.call('GET', `${S}/assignments?status=failed`)).json(), { assignments: [], next_page_token: null })
    t.match((await m.call('GET', '/v1/servers/paris/assignments')).json(), { status: 404, code: 'SERVER_NOT_FOUND' })
    t.same((await m.call('POST', `${S}/assignments/retry`)).json(), { retried: 0 })
  })

  t.test('metrics count the answers and show the queue', async (t) => {
    const text = (await m.app.inject({ url: '/metrics' })).body
    t.match(text, /depgate_assignments_total\{server="default",result="SUCCESS"\} [2-9]/)
    t.match(text, /depgate_assignment_queue_depth/)
  })
})

t.test('a mirror write or a queue read that fails is logged, never lost', async (t) => {
  let writes = 0
  const m = await engineApp(t, {
    wrapStore: (s) => ({
      ...s,
      assignments: { ...s.assignments, stats: async () => { throw new Error('database unreachable') } },
      mirror: {
        ...s.mirror,
        // The first own write fails; the second finds nothing to change.
        applyOwnWrites: async () => { if (writes++ === 0) throw new Error('database unreachable'); return { changed: 0, lastSeq: 0 } }
      }
    })
  })
  await m.app.ready()
  await untilReady(m.app)
  await m.profile('macs')
  await m.rules([{ name: 'eng', match: { serial_prefix: 'ENG' }, profile: 'macs' }])
  await m.addDevices([{ serial_number: 'ENGA00000001' }])
  await m.sync()
  await m.untilStatus('ENGA00000001', 'succeeded')
  t.ok(m.logs.some((l) => l.includes('could not show the assignments in the mirror at once')), 'Apple has assigned it: the row says so')
  await m.addDevices([{ serial_number: 'ENGA00000002' }])
  await m.sync()
  await m.untilStatus('ENGA00000002', 'succeeded')
  t.equal(writes, 2)
  const scrape = await m.app.inject({ url: '/metrics' })
  t.equal(scrape.statusCode, 200)
  t.notMatch(scrape.body, /depgate_assignment_queue_depth\{/, 'the gauges are left out of that scrape')
  t.ok(m.logs.some((l) => l.includes('could not read the assignment queue')))
})
