/** Every endpoint's success path and its documented errors, against the simulator over HTTP. */
import t from 'tap'
import { DepApiError, DepCursorError, chunkedFailure, type AssignProfileResult } from '../../src/dep/index.js'
import { simClient, startSim } from './sim.js'

const PROFILE = { profile_name: 'Staff Macs', url: 'https://mdm.example.com/enroll', is_supervised: true, is_mdm_removable: false, org_magic: 'm' }

t.test('account: detail with self-described URLs', async (t) => {
  const sim = await startSim(t)
  const { client } = simClient(t, sim)
  const account = await client.getAccount()
  t.match(account, { server_name: String, server_uuid: String, org_type: 'org' })
})

t.test('device details and disown, with NOT_ACCESSIBLE serials and duplicates', async (t) => {
  const sim = await startSim(t, { devices: 5 })
  const { client } = simClient(t, sim)
  const { devices } = await sim.control<{ devices: Array<{ serial_number: string }> }>('GET', '/_sim/devices')
  const [a, b] = devices.map((d) => d.serial_number)
  const details = await client.getDeviceDetails([a, b, a, 'NOPE0000000'])
  t.same(Object.keys(details).sort(), [a, b, 'NOPE0000000'].sort())
  t.match(details[a], { serial_number: a, response_status: 'SUCCESS', model: String })
  t.same(details.NOPE0000000, { response_status: 'NOT_ACCESSIBLE' })
  t.same(await client.disownDevices([a, 'NOPE0000000']), { [a]: 'SUCCESS', NOPE0000000: 'NOT_ACCESSIBLE' })
  t.same(await client.disownDevices([a]), { [a]: 'NOT_ACCESSIBLE' }, 'gone after disown')
  await t.rejects(client.getDeviceDetails([]), { constructor: DepApiError, code: 'DEVICE_ID_REQUIRED', status: 400 })
  await t.rejects(client.disownDevices([]), { code: 'DEVICE_ID_REQUIRED' })
  t.equal((await sim.stats()).requests.device_details, 1, 'local validation sent nothing')
})

t.test('profiles: define, get, assign, remove, and their errors', async (t) => {
  const sim = await startSim(t, { devices: 5 })
  const { client } = simClient(t, sim)
  const { devices } = await sim.control<{ devices: Array<{ serial_number: string }> }>('GET', '/_sim/devices')
  const serials = devices.map((d) => d.serial_number)
  const defined = await client.defineProfile({ ...PROFILE, devices: [serials[0]] })
  t.match(defined, { profile_uuid: /^[0-9A-F]{32}$/, devices: { [serials[0]]: 'SUCCESS' } })
  t.match(await client.getProfile(defined.profile_uuid), { ...PROFILE, profile_uuid: defined.profile_uuid })
  await t.rejects(client.getProfile('0'.repeat(32)), { constructor: DepApiError, code: 'NOT_FOUND', status: 400, endpoint: 'get_profile' })
  await t.rejects(client.getProfile(''), { constructor: DepApiError, code: 'PROFILE_UUID_REQUIRED' })

  const assigned = await client.assignProfile(defined.profile_uuid, [...serials, 'NOPE0000000'])
  t.equal(assigned.profile_uuid, defined.profile_uuid)
  t.same(assigned.devices, { ...Object.fromEntries(serials.map((s) => [s, 'SUCCESS'])), NOPE0000000: 'NOT_ACCESSIBLE' })
  t.equal(assigned.retry_after_seconds, undefined)
  await t.rejects(client.assignProfile('0'.repeat(32), serials), { constructor: DepApiError, code: 'PROFILE_NOT_FOUND', status: 404 })
  await t.rejects(client.assignProfile(defined.profile_uuid, []), { code: 'DEVICE_ID_REQUIRED' })

  const details = await client.getDeviceDetails([serials[1]])
  t.match(details[serials[1]], { profile_uuid: defined.profile_uuid, profile_status: 'assigned' })

  const removed = await client.removeProfile([serials[1], 'NOPE0000000'], defined.profile_uuid)
  t.same(removed, { devices: { [serials[1]]: 'SUCCESS', NOPE0000000: 'NOT_ACCESSIBLE' } })
  t.same((await client.removeProfile([serials[2]])).devices, { [serials[2]]: 'SUCCESS' })
  await t.rejects(client.removeProfile([]), { code: 'DEVICE_ID_REQUIRED' })
})

t.test('profile definition is validated locally with Apple\'s codes', async (t) => {
  const sim = await startSim(t)
  const { client } = simClient(t, sim)
  await t.rejects(client.defineProfile({ ...PROFILE, profile_name: '' }), { constructor: DepApiError, code: 'CONFIG_NAME_INVALID', status: 400, endpoint: 'define_profile' })
  await t.rejects(client.defineProfile({ ...PROFILE, url: 'not a url' }), { code: 'CONFIG_URL_INVALID' })
  await t.rejects(client.defineProfile({ ...PROFILE, is_supervised: false }), { code: 'FLAGS_INVALID' })
  await t.rejects(client.defineProfile({ ...PROFILE, language: 'english' }), { code: 'LOCALE_INVALID' })
  await t.rejects(client.defineProfile({ url: PROFILE.url } as unknown as typeof PROFILE), { code: 'CONFIG_NAME_REQUIRED' })
  t.equal((await sim.stats()).requests.define_profile, 0)
})

t.test('assign: throttled devices and 2,500 serials split into chunks and merged', async (t) => {
  const sim = await startSim(t, { devices: 2500 })
  const { client } = simClient(t, sim)
  const { devices } = await sim.control<{ devices: Array<{ serial_number: string }> }>('GET', '/_sim/devices')
  const serials = devices.map((d) => d.serial_number)
  t.equal(serials.length, 2500)
  const { profile_uuid: uuid } = await client.defineProfile(PROFILE)
  await sim.fault({ endpoint: 'assign_profile', kind: 'throttle', count: 3, retryAfter: 30 })
  await sim.fault({ endpoint: 'assign_profile', kind: 'throttle', count: 1, retryAfter: 90 })
  const result = await client.assignProfile(uuid, [...serials, ...serials.slice(0, 10)])
  t.equal(Object.keys(result.devices).length, 2500)
  t.equal(Object.values(result.devices).filter((s) => s === 'THROTTLED').length, 4)
  t.equal(result.retry_after_seconds, 90, 'the longest wait of any chunk')
  t.equal((await sim.stats()).requests.assign_profile, 3)
})

// The simulator's faults always hit the next request, so a failure in a later chunk is covered by
// test/dep/chunks.test.ts; here a failing chunk shows what reaches the caller.
t.test('a failing chunk surfaces Apple\'s error with the partial result and the pending serials', async (t) => {
  const sim = await startSim(t, { devices: 2100 })
  const { client } = simClient(t, sim, { retry: { retries: 0 } })
  const { devices } = await sim.control<{ devices: Array<{ serial_number: string }> }>('GET', '/_sim/devices')
  const serials = devices.map((d) => d.serial_number)
  const { profile_uuid: uuid } = await client.defineProfile(PROFILE)
  await sim.fault({ endpoint: 'assign_profile', kind: 'status', status: 500 })
  const err = await client.assignProfile(uuid, serials).catch((e: unknown) => e)
  t.match(err, { code: 'INTERNAL_SERVER_ERROR', status: 500 })
  const failure = chunkedFailure<AssignProfileResult>(err)
  t.same(failure?.partial.devices, {})
  t.equal(failure?.pending.length, 2100)
  t.equal((await sim.stats()).requests.assign_profile, 1, 'later chunks are not sent')
})

t.test('activation lock: per-device statuses and MALFORMED_REQUEST_BODY', async (t) => {
  const sim = await startSim(t, { devices: 0 })
  const { client } = simClient(t, sim)
  await sim.control('POST', '/_sim/devices', { devices: [{ serial_number: 'LOCKME00001', device_family: 'iPhone', os: 'iOS', model: 'iPhone 15' }] })
  t.same(await client.activationLock({ device: 'LOCKME00001', escrow_key: 'a'.repeat(64), lost_message: 'call IT' }), { serial_number: 'LOCKME00001', response_status: 'SUCCESS' })
  t.same(await client.activationLock({ device: 'LOCKME00001' }), { serial_number: 'LOCKME00001', response_status: 'DEVICE_ALREADY_LOCKED' })
  t.same(await client.activationLock({ device: 'NOPE0000000' }), { serial_number: 'NOPE0000000', response_status: 'NOT_ACCESSIBLE' })
  await t.rejects(client.activationLock({ device: '' }), { constructor: DepApiError, code: 'MALFORMED_REQUEST_BODY', status: 400 })
})

t.test('replacement details: found, and DEVICE_NOT_FOUND as 400 or 404', async (t) => {
  const sim = await startSim(t, { devices: 0 })
  const { client } = simClient(t, sim)
  await sim.control('POST', '/_sim/devices', { devices: [{ serial_number: 'REPL0000001', model: 'iPad', is_replacement_device: true }, { serial_number: 'PLAIN000001', model: 'iPad' }] })
  t.match(await client.getReplacementDetails('REPL0000001'), { serial_number: 'REPL0000001', original_device_serial_number: String })
  await t.rejects(client.getReplacementDetails('PLAIN000001'), { constructor: DepApiError, code: 'DEVICE_NOT_FOUND', status: 400 })
  await sim.control('PATCH', '/_sim/config', { replacementNotFoundStatus: 404 })
  await t.rejects(client.getReplacementDetails('PLAIN000001'), { constructor: DepApiError, code: 'DEVICE_NOT_FOUND', status: 404 })
  await t.rejects(client.getReplacementDetails(''), { code: 'DEVICE_ID_REQUIRED' })
  const { client: v7 } = simClient(t, sim, { protocolVersion: 7 })
  await t.rejects(v7.getReplacementDetails('REPL0000001'), { code: 'DEVICE_NOT_FOUND' }, 'needs protocol 10')
})

t.test('beta enrollment tokens, and APPLE_SEED_FOR_IT_TURNED_OFF', async (t) => {
  const sim = await startSim(t)
  const { client } = simClient(t, sim)
  const tokens = await client.getBetaEnrollmentTokens()
  t.ok(Array.isArray(tokens.betaEnrollmentTokens))
  await sim.control('PATCH', '/_sim/config', { betaAccess: false })
  await t.rejects(client.getBetaEnrollmentTokens(), { constructor: DepApiError, code: 'APPLE_SEED_FOR_IT_TURNED_OFF', status: 403 })
})

t.test('account-driven enrollment profile: set, get, delete, and its errors', async (t) => {
  const sim = await startSim(t)
  const { client } = simClient(t, sim)
  await t.rejects(client.getAdeProfile(), { constructor: DepApiError, code: 'NOT_FOUND', status: 404 })
  await client.setAdeProfile('https://mdm.example.com/.well-known/com.apple.remotemanagement')
  t.match(await client.getAdeProfile(), { mdm_service_discovery_url: 'https://mdm.example.com/.well-known/com.apple.remotemanagement', last_updated_timestamp: String })
  await client.deleteAdeProfile()
  await t.rejects(client.getAdeProfile(), { code: 'NOT_FOUND' })
  await t.rejects(client.setAdeProfile('http://insecure.example.com'), { code: 'MDM_SERVICE_DISCOVERY_URL_NOT_VALID', status: 400 })
  await t.rejects(client.setAdeProfile(''), { code: 'MDM_SERVICE_DISCOVERY_URL_REQUIRED' })
  await sim.control('PATCH', '/_sim/config', { adeSupported: false })
  await t.rejects(client.deleteAdeProfile(), { code: 'ORG_NOT_SUPPORTED' })
})

t.test('pass-through requests', async (t) => {
  const sim = await startSim(t, { rotateSessions: true })
  const { client } = simClient(t, sim)
  const account = await client.request('GET', '/account')
  t.equal(account.status, 200)
  t.notOk('x-adm-auth-session' in account.headers, 'the session header never leaves the client')
  t.match(JSON.parse(account.body), { server_name: String })
  const sync = await client.request('POST', '/devices/sync', { body: '{}' })
  t.equal(sync.status, 400)
  t.match(sync.body, /CURSOR_REQUIRED/)
  const profile = await client.request('GET', '/profile', { query: { profile_uuid: 'X' } })
  t.equal(profile.status, 400)
  await t.rejects(client.request('GET', 'account'), TypeError)
})

t.test('sync without a cursor is CURSOR_REQUIRED', async (t) => {
  const sim = await startSim(t)
  const { client } = simClient(t, sim)
  await t.rejects(client.syncDevices({ cursor: '' }), { constructor: DepCursorError, code: 'CURSOR_REQUIRED' })
})
