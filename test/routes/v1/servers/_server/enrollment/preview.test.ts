/**
 * POST …/assignment-rules/preview against the mirror: the first matching rule wins, what each
 * rule would assign (no profile, an older UUID of its profile, another profile only with replace),
 * the devices no rule matches, rules sent in the body instead of the stored ones, and nothing
 * sent to Apple. Device states are set through depgate's own writes, which the mirror shows at once.
 */
import t from 'tap'
import { enrollApp, PROFILE, S } from './app.js'

const URL = `${S}/assignment-rules/preview`

t.test('per rule: matched, to assign, already assigned, left alone; and the unmatched', async (t) => {
  const m = await enrollApp(t, { devices: 30 })
  const truth = (await m.simCall('GET', '/_sim/devices')).devices as Array<{ serial_number: string, device_family: string }>
  const d = truth.map((x) => x.serial_number).sort()
  // Every device without a profile first, so the counts below do not depend on the simulator's seed.
  await m.call('DELETE', `${S}/devices/profile`, { serials: d })

  const macsV1 = (await m.call('PUT', `${S}/enrollment-profiles/macs`, PROFILE)).json().profile_uuid as string
  await m.call('PUT', `${S}/profiles/${macsV1}/devices`, { serials: [d[0]] })
  const macsV2 = (await m.call('PUT', `${S}/enrollment-profiles/macs`, { ...PROFILE, department: 'Eng' })).json().profile_uuid as string
  await m.call('PUT', `${S}/profiles/${macsV2}/devices`, { serials: [d[1]] })
  await m.call('PUT', `${S}/enrollment-profiles/ipads`, { ...PROFILE, profile_name: 'iPads' })
  const other = (await m.call('POST', `${S}/profiles`, { ...PROFILE, profile_name: 'By hand', devices: [d[2], d[3]] })).json().profile_uuid as string
  t.match(other, /^[0-9A-F]{32}$/)
  const family = truth.find((x) => x.serial_number === d[5])?.device_family as string

  const rules = [
    { name: 'first', match: { serials: [d[0], d[1], d[2]] }, profile: 'macs' },
    { name: 'second', match: { serials: [d[3], d[4], d[0]] }, profile: 'ipads', replace: true },
    { name: 'third', match: { device_family: family.toUpperCase(), serial_prefix: d[5].slice(0, 4).toLowerCase() }, profile: 'ipads' }
  ]
  t.equal((await m.call('PUT', `${S}/assignment-rules`, { rules })).statusCode, 200)
  // Own writes ask for a sync, which may run meanwhile: only the other calls are counted.
  const stats = async () => Object.entries((await m.simCall('GET', '/_sim/stats')).requests as Record<string, number>).filter(([k]) => k !== 'sync_devices' && k !== 'session')
  const before = await stats()

  const preview = await m.call('POST', URL)
  t.equal(preview.statusCode, 200)
  const p = preview.json()
  t.match(p.rules[0], { name: 'first', profile: 'macs', profile_uuid: macsV2, matched: 3, to_assign: 1, already_assigned: 1, left_alone: 1, serials: [d[0]] }, 'an older UUID of its profile is assigned; another profile is left alone')
  t.match(p.rules[1], { name: 'second', matched: 2, to_assign: 2, already_assigned: 0, left_alone: 0, serials: [d[3], d[4]] }, 'replace takes a device on another profile; d0 went to the first rule')
  const third = p.rules[2]
  t.ok(third.matched >= 1 && third.serials.includes(d[5]), 'field matches ignore case')
  t.equal(p.devices, 30)
  t.equal(p.unmatched.count, 30 - 5 - third.matched)
  t.equal(p.unmatched.serials.length, Math.min(20, p.unmatched.count), 'at most 20 serials shown')
  t.match(p.synced_at, /^\d{4}-/)

  const tried = await m.call('POST', URL, { rules: [{ name: 'all', profile: 'ipads' }] })
  t.match(tried.json(), { rules: [{ name: 'all', matched: 30, to_assign: 26, left_alone: 4, already_assigned: 0 }], unmatched: { count: 0, serials: [] } }, 'rules from the body, not the stored ones')
  t.equal(tried.json().rules[0].serials.length, 20)

  t.same(await stats(), before, 'nothing was sent to Apple')
  t.same((await m.call('GET', `${S}/assignment-rules`)).json().rules.map((r: { name: string }) => r.name), ['first', 'second', 'third'], 'the stored rules are unchanged')

  t.test('rules in the body are checked as a PUT checks them', async (t) => {
    t.match((await m.call('POST', URL, { rules: [{ name: 'x', profile: 'ghost' }] })).json(), { status: 400, code: 'UNKNOWN_ENROLLMENT_PROFILE', errors: [{ field: 'body.rules.0.profile' }] })
    t.match((await m.call('POST', URL, { rules: [{ name: 'x', profile: 'macs' }, { name: 'x', profile: 'macs' }] })).json(), { status: 400, code: 'DUPLICATE_RULE_NAME' })
    t.match((await m.call('POST', URL, { rules: [{ name: 'x', profile: 'macs', match: { colour: 'red' } }] })).json(), { status: 400, code: 'UNKNOWN_FIELD' })
  })

  t.test('a read key may preview; an unknown server is 404', async (t) => {
    const reader = { authorization: `Bearer ${await m.createKey('read')}` }
    t.equal((await m.call('POST', URL, undefined, reader)).statusCode, 200)
    t.match((await m.call('POST', '/v1/servers/paris/assignment-rules/preview')).json(), { status: 404, code: 'SERVER_NOT_FOUND' })
  })
})

t.test('no stored rules: every device is unmatched', async (t) => {
  const m = await enrollApp(t, { devices: 5 })
  t.match((await m.call('POST', URL)).json(), { rules: [], unmatched: { count: 5 }, devices: 5 })
})

t.test('without a mirror the preview cannot be answered', async (t) => {
  const m = await enrollApp(t, { mirror: false })
  t.match((await m.call('POST', URL)).json(), { status: 409, code: 'INVENTORY_DISABLED' })
})
