import t from 'tap'
import { S, startStack } from './stack.js'

const PROFILE = {
  profile_name: 'Example Corp Macs',
  url: 'https://mdm.example.com/enroll',
  is_supervised: true,
  is_mdm_removable: false,
  department: 'IT',
  org_magic: 'example-org-1',
  language: 'en',
  region: 'US'
}

t.test('define, get, assign and remove a profile', async (t) => {
  const s = await startStack(t, { devices: 40 })
  const truth = (await s.sim('GET', '/_sim/devices')).devices
  const serials = truth.slice(0, 5).map((d: any) => d.serial_number)

  const invalid = await s.call('POST', `${S}/profiles`, { body: { ...PROFILE, url: 'not a url' } })
  t.equal(invalid.status, 400)
  t.match(invalid.json(), { code: 'CONFIG_URL_INVALID', errors: [{ field: 'body.url' }] })
  const flags = await s.call('POST', `${S}/profiles`, { body: { ...PROFILE, is_supervised: false } })
  t.match(flags.json(), { status: 400, code: 'FLAGS_INVALID', errors: [{ field: 'body.is_mdm_removable' }] })
  const noName = await s.call('POST', `${S}/profiles`, { body: { url: PROFILE.url } })
  t.match(noName.json(), { status: 400, code: 'CONFIG_NAME_REQUIRED' })
  const typo = await s.call('POST', `${S}/profiles`, { body: { ...PROFILE, is_supervized: true } })
  t.match(typo.json(), { status: 400, code: 'UNKNOWN_FIELD', detail: 'unknown field /is_supervized in the request body; did you mean is_supervised?' })
  t.equal((await s.sim('GET', '/_sim/stats')).requests.define_profile ?? 0, 0, 'nothing invalid reached Apple')

  const defined = await s.call('POST', `${S}/profiles`, { body: { ...PROFILE, devices: [serials[0].toLowerCase()] } })
  t.equal(defined.status, 200)
  const { profile_uuid: uuid, devices } = defined.json()
  t.match(uuid, /^[0-9A-F]{32}$/)
  t.same(devices, { [serials[0]]: 'SUCCESS' })

  const bare = await s.call('POST', `${S}/profiles`, { body: PROFILE })
  t.match(bare.json(), { profile_uuid: /^[0-9A-F]{32}$/, devices: {} })

  const got = await s.call('GET', `${S}/profiles/${uuid.toLowerCase()}`)
  t.equal(got.status, 200)
  t.match(got.json(), { ...PROFILE, profile_uuid: uuid })
  const dashed = `${uuid.slice(0, 8)}-${uuid.slice(8, 12)}-${uuid.slice(12, 16)}-${uuid.slice(16, 20)}-${uuid.slice(20)}`
  t.equal((await s.call('GET', `${S}/profiles/${dashed}`)).status, 200, 'a dashed UUID is accepted')

  await s.sim('POST', '/_sim/faults', { endpoint: 'assign_profile', kind: 'throttle', count: 2, retryAfter: 90 })
  const assigned = await s.call('PUT', `${S}/profiles/${uuid}/devices`, { body: { serials: [...serials, 'ZZZZ00000001'] } })
  t.equal(assigned.status, 200)
  const a = assigned.json()
  t.equal(a.profile_uuid, uuid)
  t.equal(a.devices.ZZZZ00000001, 'NOT_ACCESSIBLE')
  t.same(a.summary, { THROTTLED: 2, SUCCESS: 3, NOT_ACCESSIBLE: 1 })
  t.equal(a.retry_after_seconds, 90)
  const again = (await s.call('PUT', `${S}/profiles/${uuid}/devices`, { body: { serials: serials.slice(0, 2) } })).json()
  t.same(again.summary, { SUCCESS: 2 })
  t.notOk('retry_after_seconds' in again)
  const now = (await s.sim('GET', '/_sim/devices')).devices.find((d: any) => d.serial_number === serials[0])
  t.match(now, { profile_uuid: uuid, profile_status: 'assigned' })

  const removed = await s.call('DELETE', `${S}/devices/profile`, { body: { serials: serials.slice(0, 2), profile_uuid: uuid } })
  t.equal(removed.status, 200)
  t.same(removed.json(), { devices: { [serials[0]]: 'SUCCESS', [serials[1]]: 'SUCCESS' }, summary: { SUCCESS: 2 } })
  const removedOne = await s.call('DELETE', `${S}/devices/profile`, { body: { serials: [serials[2]] } })
  t.same(removedOne.json().summary, { SUCCESS: 1 })

  t.test('every write is in the audit log with what it did', async (t) => {
    const defines = await s.audit('profile.define', 6)
    t.same(defines.map((e) => e.result).sort(), ['CONFIG_NAME_REQUIRED', 'CONFIG_URL_INVALID', 'FLAGS_INVALID', 'UNKNOWN_FIELD', 'ok', 'ok'], 'refused definitions are audited too')
    t.match(defines.find((e) => e.detail?.startsWith(uuid) === true), { result: 'ok', keyId: 'bootstrap', detail: /"Example Corp Macs", 1 serial/, serialCount: 1 })
    t.match(await s.audit('profile.assign', 2), [{ target: uuid, result: 'ok', detail: /2 serial\(s\): \{"SUCCESS":2\}/ }, { detail: /6 serial\(s\): .*"THROTTLED":2/ }])
    t.match(await s.audit('profile.remove', 2), [{ result: 'ok', detail: /1 serial/ }, { result: 'ok', detail: /2 serial/ }])
  })

  t.test('an unknown profile is PROFILE_NOT_FOUND, for get and for assign', async (t) => {
    const unknown = 'F'.repeat(32)
    const get = await s.call('GET', `${S}/profiles/${unknown}`)
    t.equal(get.status, 404)
    t.match(get.json(), { code: 'PROFILE_NOT_FOUND', detail: /knows no profile F{32}/ })
    const put = await s.call('PUT', `${S}/profiles/${unknown}/devices`, { body: { serials } })
    t.equal(put.status, 404)
    t.match(put.json(), { code: 'PROFILE_NOT_FOUND' })
    const failed = (await s.audit('profile.assign', 3))[0]
    t.match(failed, { target: unknown, result: 'PROFILE_NOT_FOUND', detail: '5 serial(s)' }, 'a failed write is audited too')
  })

  t.test('Apple errors of other kinds pass through the core\'s mapping', async (t) => {
    await s.sim('POST', '/_sim/faults', { endpoint: 'get_profile', kind: 'status', status: 403, code: 'ACCESS_DENIED' })
    t.match((await s.call('GET', `${S}/profiles/${uuid}`)).json(), { status: 403, code: 'ACCESS_DENIED' })
  })
})

t.test('a profile url or configuration_web_url that is not https: is refused before Apple hears of it', async (t) => {
  const s = await startStack(t, { devices: 5 })
  const plain = await s.call('POST', `${S}/profiles`, { body: { ...PROFILE, url: 'http://mdm.example.com/enroll' } })
  t.equal(plain.status, 400)
  t.match(plain.headers['content-type'], /^application\/problem\+json/)
  t.match(plain.json(), { code: 'PROFILE_URL_NOT_HTTPS', detail: /url must be an https: URL/, errors: [{ field: 'body.url' }] })
  const web = await s.call('POST', `${S}/profiles`, { body: { ...PROFILE, configuration_web_url: 'http://auth.example.com/' } })
  t.match(web.json(), { status: 400, code: 'PROFILE_URL_NOT_HTTPS', errors: [{ field: 'body.configuration_web_url' }] })
  const creds = await s.call('POST', `${S}/profiles`, { body: { ...PROFILE, url: 'https://enrol:pr0file-pw@mdm.example.com/enroll' } })
  t.match(creds.json(), { status: 400, code: 'URL_HAS_CREDENTIALS', errors: [{ field: 'body.url' }] })
  t.notMatch(creds.text, /pr0file-pw/)
  t.equal((await s.sim('GET', '/_sim/stats')).requests.define_profile ?? 0, 0, 'nothing refused reached Apple')

  const loopback = await s.call('POST', `${S}/profiles`, { body: { ...PROFILE, url: 'http://127.0.0.1:8443/enroll' } })
  t.equal(loopback.status, 200, 'a loopback simulator address is accepted over http:')
})
