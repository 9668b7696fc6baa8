/**
 * Named enrollment profiles over the real app and the simulator: checked before anything is sent,
 * defined at Apple only when the content changed, the history of UUIDs, idempotent PUTs, the list
 * with device counts from the mirror, deletion, scopes and unknown servers.
 */
import t from 'tap'
import { audited, enrollApp, PROFILE, S } from './app.js'

t.test('PUT defines once per content, keeps the history, and is idempotent', async (t) => {
  const m = await enrollApp(t)
  const url = `${S}/enrollment-profiles/staff-macs`

  const badName = await m.call('PUT', `${S}/enrollment-profiles/no%20spaces`, PROFILE)
  t.equal(badName.statusCode, 400)
  t.match(badName.json(), { code: 'VALIDATION_FAILED', errors: [{ field: /^params\.name/ }] })
  const flags = await m.call('PUT', url, { ...PROFILE, is_supervised: false })
  t.match(flags.json(), { status: 400, code: 'FLAGS_INVALID', errors: [{ field: 'body.is_mdm_removable' }] })
  const plain = await m.call('PUT', url, { ...PROFILE, url: 'http://mdm.example.com/enroll' })
  t.match(plain.json(), { status: 400, code: 'PROFILE_URL_NOT_HTTPS' })
  const devices = await m.call('PUT', url, { ...PROFILE, devices: ['C02XK1ABCDEF'] })
  t.match(devices.json(), { status: 400, code: 'UNKNOWN_FIELD' }, 'devices are given through the rules, not here')
  t.equal(await m.defines(), 0, 'nothing refused reached Apple')

  const created = await m.call('PUT', url, PROFILE)
  t.equal(created.statusCode, 201)
  t.equal(created.headers.location, url)
  const first = created.json()
  t.match(first, { name: 'staff-macs', profile_uuid: /^[0-9A-F]{32}$/, content_hash: /^[0-9a-f]{64}$/, profile: PROFILE })
  t.same(first.history, [{ profile_uuid: first.profile_uuid, content_hash: first.content_hash, defined_at: first.defined_at }])
  t.equal(await m.defines(), 1)
  const atApple = await m.call('GET', `${S}/profiles/${first.profile_uuid}`)
  t.match(atApple.json(), PROFILE, 'Apple holds what was stored')

  const reordered = Object.fromEntries(Object.entries(PROFILE).reverse())
  const same = await m.call('PUT', url, reordered)
  t.equal(same.statusCode, 200)
  t.same(same.json(), first, 'the same content in another order changes nothing')
  t.equal(await m.defines(), 1, 'and sends nothing')

  const changed = await m.call('PUT', url, { ...PROFILE, department: 'Engineering' })
  t.equal(changed.statusCode, 200)
  const second = changed.json()
  t.not(second.profile_uuid, first.profile_uuid, 'a change is a new profile at Apple')
  t.not(second.content_hash, first.content_hash)
  t.equal(second.created_at, first.created_at)
  t.same(second.history.map((v: { profile_uuid: string }) => v.profile_uuid), [second.profile_uuid, first.profile_uuid], 'newest first')
  t.equal(await m.defines(), 2)
  t.same((await m.call('GET', url)).json(), second)

  // Refusals and unchanged PUTs are written after the answer (the audit hook).
  const puts = await audited(m, 'enrollment_profile.put', 7)
  t.same(puts.map((e) => e.result).sort(), ['FLAGS_INVALID', 'PROFILE_URL_NOT_HTTPS', 'UNKNOWN_FIELD', 'VALIDATION_FAILED', 'ok', 'ok', 'ok'])
  t.match(puts.filter((e) => e.detail !== undefined).map((e) => e.detail), [`changed: ${second.profile_uuid as string} (${(second.content_hash as string).slice(0, 12)})`, /^created: /])
  t.match((await m.store.audit.list({ limit: 50 })).filter((e) => e.action === 'profile.define'), [{ result: 'ok', detail: /^[0-9A-F]{32}: named profile "staff-macs"/ }, { result: 'ok' }])

  t.test('Apple refusing the definition stores nothing', async (t) => {
    await m.simCall('POST', '/_sim/faults', { endpoint: 'define_profile', kind: 'status', status: 400, code: 'CONFIG_URL_INVALID' })
    const refused = await m.call('PUT', url, { ...PROFILE, department: 'Sales' })
    t.match(refused.json(), { status: 400, code: 'CONFIG_URL_INVALID' })
    t.equal((await m.call('GET', url)).json().profile_uuid, second.profile_uuid)
  })
})

t.test('GET, list with device counts, DELETE', async (t) => {
  const m = await enrollApp(t)
  const a = (await m.call('PUT', `${S}/enrollment-profiles/a.lab`, { ...PROFILE, profile_name: 'Lab' })).json()
  await m.call('PUT', `${S}/enrollment-profiles/B_staff`, PROFILE)
  const serials = ((await m.simCall('GET', '/_sim/devices')).devices as Array<{ serial_number: string }>).map((d) => d.serial_number)
  // An own write shows in the mirror at once.
  await m.call('PUT', `${S}/profiles/${a.profile_uuid as string}/devices`, { serials: serials.slice(0, 3) })

  const list = await m.call('GET', `${S}/enrollment-profiles`)
  t.equal(list.statusCode, 200)
  t.match(list.json().profiles, [
    { name: 'B_staff', device_count: 0, profile_uuid: /^[0-9A-F]{32}$/ },
    { name: 'a.lab', device_count: 3, profile_uuid: a.profile_uuid, content_hash: a.content_hash, defined_at: a.defined_at }
  ])

  const missing = await m.call('GET', `${S}/enrollment-profiles/nope`)
  t.equal(missing.statusCode, 404)
  t.match(missing.json(), { code: 'ENROLLMENT_PROFILE_NOT_FOUND', detail: /no enrollment profile named "nope"/ })
  t.match((await m.call('DELETE', `${S}/enrollment-profiles/nope`)).json(), { status: 404, code: 'ENROLLMENT_PROFILE_NOT_FOUND' })

  // A rule naming it (written as the rules route does) keeps it.
  await m.store.enrollment.putRules('default', [{ name: 'lab devices', profile: 'a.lab' }, { name: 'rest', profile: 'B_staff' }], 'empty')
  const inUse = await m.call('DELETE', `${S}/enrollment-profiles/a.lab`)
  t.equal(inUse.statusCode, 409)
  t.match(inUse.json(), { code: 'ENROLLMENT_PROFILE_IN_USE', detail: /assignment rule\(s\) "lab devices"; change those rules first/ })
  await m.store.enrollment.putRules('default', [], 1)

  t.equal((await m.call('DELETE', `${S}/enrollment-profiles/a.lab`)).statusCode, 204)
  t.equal((await m.call('GET', `${S}/enrollment-profiles/a.lab`)).statusCode, 404)
  t.same((await m.call('GET', `${S}/enrollment-profiles`)).json().profiles.map((p: { name: string }) => p.name), ['B_staff'])
  t.same((await audited(m, 'enrollment_profile.delete', 3)).map((e) => e.result).sort(), ['ENROLLMENT_PROFILE_IN_USE', 'ENROLLMENT_PROFILE_NOT_FOUND', 'ok'])

  // Put again after a delete: a new name, with a history of its own.
  const again = await m.call('PUT', `${S}/enrollment-profiles/a.lab`, { ...PROFILE, profile_name: 'Lab' })
  t.equal(again.statusCode, 201)
  t.equal(again.json().history.length, 1)
})

t.test('without a mirror the list has no device counts', async (t) => {
  const m = await enrollApp(t, { mirror: false })
  await m.call('PUT', `${S}/enrollment-profiles/staff`, PROFILE)
  t.match((await m.call('GET', `${S}/enrollment-profiles`)).json(), { profiles: [{ name: 'staff', device_count: null }] })
})

t.test('scopes and unknown servers', async (t) => {
  const m = await enrollApp(t, { mirror: false })
  const reader = await m.createKey('read')
  const asReader = { authorization: `Bearer ${reader}` }
  t.equal((await m.call('PUT', `${S}/enrollment-profiles/x`, PROFILE, asReader)).statusCode, 403)
  t.equal((await m.call('DELETE', `${S}/enrollment-profiles/x`, undefined, asReader)).statusCode, 403)
  t.equal((await m.call('GET', `${S}/enrollment-profiles`, undefined, asReader)).statusCode, 200)
  t.equal((await m.call('GET', `${S}/enrollment-profiles/x`, undefined, asReader)).statusCode, 404)
  for (const [method, url] of [['PUT', 'enrollment-profiles/x'], ['GET', 'enrollment-profiles/x'], ['DELETE', 'enrollment-profiles/x'], ['GET', 'enrollment-profiles']] as const) {
    const res = await m.call(method, `/v1/servers/paris/${url}`, method === 'PUT' ? PROFILE : undefined)
    t.match(res.json(), { status: 404, code: 'SERVER_NOT_FOUND' }, `${method} ${url}`)
  }
  t.equal(await m.defines(), 0)
})
