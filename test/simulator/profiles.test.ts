import t from 'tap'
import { client, start } from './fixtures/helper.js'

const PROFILE = { profile_name: 'Staff', url: 'https://mdm.example.com/enroll', is_supervised: true, is_mdm_removable: false, org_magic: 'magic', department: 'IT', language: 'en', region: 'US', support_phone_number: '+1 555', support_email_address: 'it@example.com', auto_advance_setup: true }

t.test('define, get, assign, remove', async (t) => {
  let now = Date.UTC(2026, 2, 1)
  const s = await start(t, { devices: 6, clock: () => now })
  const { sim } = s
  const api = await client(s)
  const [a, b, c] = sim.world.list().map((d) => d.serial_number)
  const res = (status: number, text: string): [number, string] => [status, text]
  const send = async (method: string, path: string, body?: unknown, version?: number): Promise<[number, string]> => {
    const r = await api(method, path, { body, version })
    return res(r.status, r.text)
  }

  t.test('POST /profile validates with Apple codes', async (t) => {
    const cases: Array<[Record<string, unknown>, string]> = [
      [{ url: 'https://x' }, 'CONFIG_NAME_REQUIRED'],
      [{ profile_name: '', url: 'https://x' }, 'CONFIG_NAME_INVALID'],
      [{ profile_name: 'x'.repeat(126), url: 'https://x' }, 'CONFIG_NAME_INVALID'],
      [{ profile_name: 'n' }, 'CONFIG_URL_REQUIRED'],
      [{ profile_name: 'n', url: 'not a url' }, 'CONFIG_URL_INVALID'],
      [{ profile_name: 'n', url: 'https://x', department: '' }, 'DEPARTMENT_INVALID'],
      [{ profile_name: 'n', url: 'https://x', is_mdm_removable: false }, 'FLAGS_INVALID'],
      [{ profile_name: 'n', url: 'https://x', language: 'english' }, 'LOCALE_INVALID'],
      [{ profile_name: 'n', url: 'https://x', region: 'USA' }, 'LOCALE_INVALID'],
      [{ profile_name: 'n', url: 'https://x', org_magic: 'm'.repeat(257) }, 'MAGIC_INVALID'],
      [{ profile_name: 'n', url: 'https://x', support_email_address: '' }, 'SUPPORT_EMAIL_INVALID'],
      [{ profile_name: 'n', url: 'https://x', support_phone_number: '1'.repeat(51) }, 'SUPPORT_PHONE_INVALID']
    ]
    for (const [body, code] of cases) t.same(await send('POST', '/profile', body), [400, code], code)
    t.same(await send('POST', '/profile', { ...PROFILE, devices: 'C02' }), [400, 'MALFORMED_REQUEST_BODY'])
    t.same(await send('POST', '/profile', [PROFILE]), [400, 'MALFORMED_REQUEST_BODY'])
  })

  t.test('define with devices assigns them; GET returns it', async (t) => {
    sim.config.failSerials = [c]
    const r = await api('POST', '/profile', { body: { ...PROFILE, profile_uuid: 'MINE', devices: [a, c, 'NOTMINE00001'] } })
    t.equal(r.status, 200)
    const { profile_uuid: uuid, devices } = r.json()
    t.match(uuid, /^[0-9A-F]{32}$/)
    t.same(devices, { [a]: 'SUCCESS', [c]: 'FAILED', NOTMINE00001: 'NOT_ACCESSIBLE' })
    t.same((await api('POST', '/profile', { body: PROFILE })).json().devices, {})
    const got = (await api('GET', `/profile?profile_uuid=${uuid}`)).json()
    t.match(got, { ...PROFILE, profile_uuid: uuid })
    t.notOk('devices' in got)
    t.equal((await api('GET', `/profile?profile_uuid=${uuid.toLowerCase()}`)).status, 200, 'lower case accepted')
    t.notOk('auto_advance_setup' in (await api('GET', `/profile?profile_uuid=${uuid}`, { version: 1 })).json(), 'v2 keys gated')
    t.same(await send('GET', '/profile'), [400, 'PROFILE_UUID_REQUIRED'])
    t.same(await send('GET', '/profile?profile_uuid='), [400, 'PROFILE_UUID_REQUIRED'])
    t.same(await send('GET', '/profile?profile_uuid=00000000000000000000000000000000'), [400, 'NOT_FOUND'])
    const device = sim.world.devices.get(a)
    t.match(device, { profile_uuid: uuid, profile_status: 'assigned', profile_assign_time: '2026-03-01T00:00:00Z' })
    sim.config.failSerials = []
  })

  t.test('assign with POST and PUT; remove with a DELETE body', async (t) => {
    const uuid = (await api('POST', '/profile', { body: PROFILE })).json().profile_uuid
    now += 60_000
    for (const method of ['POST', 'PUT']) {
      const r = await api(method, '/profile/devices', { body: { profile_uuid: uuid, devices: [a, b, 'NOTMINE00001'] } })
      t.same(r.json(), { profile_uuid: uuid, devices: { [a]: 'SUCCESS', [b]: 'SUCCESS', NOTMINE00001: 'NOT_ACCESSIBLE' } }, method)
    }
    t.match(sim.world.devices.get(b), { profile_uuid: uuid, profile_status: 'assigned', profile_assign_time: '2026-03-01T00:01:00Z' })
    t.same(await send('POST', '/profile/devices', { devices: [a] }), [400, 'PROFILE_UUID_REQUIRED'])
    t.same(await send('POST', '/profile/devices', { profile_uuid: uuid }), [400, 'DEVICE_ID_REQUIRED'])
    t.same(await send('POST', '/profile/devices', { profile_uuid: uuid, devices: [] }), [400, 'DEVICE_ID_REQUIRED'])
    t.same(await send('POST', '/profile/devices', { profile_uuid: uuid, devices: [1] }), [400, 'DEVICE_ID_REQUIRED'])
    t.same(await send('PUT', '/profile/devices', { profile_uuid: 'ABCDEF', devices: [a] }), [404, 'PROFILE_NOT_FOUND'])

    const removed = await api('DELETE', '/profile/devices', { body: { devices: [a, 'NOTMINE00001'], profile_uuid: uuid } })
    t.same(removed.json(), { devices: { [a]: 'SUCCESS', NOTMINE00001: 'NOT_ACCESSIBLE' } })
    t.equal(sim.world.devices.get(a)?.profile_status, 'removed')
    t.notOk(sim.world.devices.get(a)?.profile_uuid)
    t.same(await send('DELETE', '/profile/devices', {}), [400, 'DEVICE_ID_REQUIRED'])
    t.same(await send('DELETE', '/profile/devices'), [400, 'DEVICE_ID_REQUIRED'])
  })

  t.test('FAILED and THROTTLED on demand', async (t) => {
    const uuid = (await api('POST', '/profile', { body: PROFILE })).json().profile_uuid
    sim.config.failSerials = [a]
    sim.config.throttleSerials = [b]
    sim.config.throttleRetryAfterSec = 90
    const body = { profile_uuid: uuid, devices: [a, b, c] }
    t.same((await api('PUT', '/profile/devices', { body })).json(), { profile_uuid: uuid, devices: { [a]: 'FAILED', [b]: 'THROTTLED', [c]: 'SUCCESS' }, retry_after_seconds: 90 })
    t.same((await api('PUT', '/profile/devices', { body, version: 9 })).json(), { profile_uuid: uuid, devices: { [a]: 'FAILED', [b]: 'THROTTLED', [c]: 'SUCCESS' } }, 'v9: no retry_after_seconds')
    t.same((await api('PUT', '/profile/devices', { body, version: 8 })).json().devices[b], 'FAILED', 'before v9 there is no THROTTLED')
    sim.config.failSerials = []
    sim.config.throttleSerials = []
    t.same((await api('PUT', '/profile/devices', { body })).json(), { profile_uuid: uuid, devices: { [a]: 'SUCCESS', [b]: 'SUCCESS', [c]: 'SUCCESS' } })
  })

  t.test('sync sees assignments and removals as modified', async (t) => {
    const cursor = (await api('POST', '/server/devices', { body: { limit: 1000 } })).json().cursor
    const uuid = (await api('POST', '/profile', { body: PROFILE })).json().profile_uuid
    await api('PUT', '/profile/devices', { body: { profile_uuid: uuid, devices: [a] } })
    await api('DELETE', '/profile/devices', { body: { devices: [a] } })
    const events = (await api('POST', '/devices/sync', { body: { cursor } })).json().devices
    t.match(events, [{ serial_number: a, op_type: 'modified', profile_status: 'assigned', profile_uuid: uuid }, { serial_number: a, op_type: 'modified', profile_status: 'removed' }])
  })
})
