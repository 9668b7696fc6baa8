import t from 'tap'
import { buildSimulator } from '../../src/simulator/index.js'
import { call, client, start } from './fixtures/helper.js'

t.test('device details, disown, activation lock, replacement details', async (t) => {
  const s = await start(t, { devices: 0 })
  const { url, sim } = s
  const api = await client(s)
  const added = (await call(url, 'POST', '/_sim/devices', {
    body: { devices: [{ serial_number: 'C02AAAAAAAA1', device_family: 'Mac' }, { serial_number: 'C07AAAAAAAA2', device_family: 'AppleTV' }, { serial_number: 'DMPAAAAAAAA3', is_replacement_device: true }, { serial_number: 'C02AAAAAAAA4' }] }
  })).json().devices
  t.equal(added.length, 4)
  const send = async (method: string, path: string, body?: unknown, version?: number): Promise<[number, string]> => {
    const r = await api(method, path, { body, version })
    return [r.status, r.text]
  }

  t.test('POST /devices', async (t) => {
    sim.config.failSerials = ['C02AAAAAAAA4']
    const r = (await api('POST', '/devices', { body: { devices: ['C02AAAAAAAA1', 'NOPE', 'C02AAAAAAAA4'] } })).json()
    t.match(r.devices.C02AAAAAAAA1, { serial_number: 'C02AAAAAAAA1', response_status: 'SUCCESS', model: String })
    t.same(r.devices.NOPE, { response_status: 'NOT_ACCESSIBLE' })
    t.same(r.devices.C02AAAAAAAA4, { response_status: 'FAILED' })
    t.same(await send('POST', '/devices', {}), [400, 'DEVICE_ID_REQUIRED'])
    t.same(await send('POST', '/devices', { devices: [''] }), [400, 'DEVICE_ID_REQUIRED'])
    t.same(await send('POST', '/devices', { devices: 'C02AAAAAAAA1' }), [400, 'DEVICE_ID_REQUIRED'])
  })

  t.test('POST /device/activationlock', async (t) => {
    const lock = async (body: unknown): Promise<string> => (await api('POST', '/device/activationlock', { body })).json().response_status
    t.equal(await lock({ device: 'C02AAAAAAAA1', escrow_key: 'a'.repeat(64), lost_message: 'call IT' }), 'SUCCESS')
    t.equal(await lock({ device: 'C02AAAAAAAA1' }), 'DEVICE_ALREADY_LOCKED')
    t.equal(await lock({ device: 'C07AAAAAAAA2' }), 'DEVICE_NOT_SUPPORTED')
    t.equal(await lock({ device: 'NOPE' }), 'NOT_ACCESSIBLE')
    t.equal(await lock({ device: 'C02AAAAAAAA4' }), 'FAILED')
    sim.config.activationLockSupported = false
    t.equal(await lock({ device: 'DMPAAAAAAAA3' }), 'ORG_NOT_SUPPORTED')
    sim.config.activationLockSupported = true
    t.same((await api('POST', '/device/activationlock', { body: { device: 'DMPAAAAAAAA3' } })).json(), { serial_number: 'DMPAAAAAAAA3', response_status: 'SUCCESS' })
    for (const body of [{}, { device: '' }, { device: 'C02AAAAAAAA1', escrow_key: 1 }, { device: 'C02AAAAAAAA1', lost_message: false }]) {
      t.same(await send('POST', '/device/activationlock', body), [400, 'MALFORMED_REQUEST_BODY'])
    }
    sim.config.failSerials = []
  })

  t.test('GET /device/replacementDetails', async (t) => {
    const r = (await api('GET', '/device/replacementDetails?device=DMPAAAAAAAA3')).json()
    t.match(r, { serial_number: 'DMPAAAAAAAA3', original_device_serial_number: /^DMP/, replacement_date: /^\d{4}-\d\d-\d\d$/ })
    t.same(await send('GET', '/device/replacementDetails?device=C02AAAAAAAA1'), [400, 'DEVICE_NOT_FOUND'], 'observed: 400 for a non-replacement device')
    t.same(await send('GET', '/device/replacementDetails?device=NOPE'), [400, 'DEVICE_NOT_FOUND'])
    t.same(await send('GET', '/device/replacementDetails?device=DMPAAAAAAAA3', undefined, 9), [400, 'DEVICE_NOT_FOUND'], 'needs v10')
    t.same(await send('GET', '/device/replacementDetails'), [400, 'DEVICE_ID_REQUIRED'])
    sim.config.replacementNotFoundStatus = 404
    t.same(await send('GET', '/device/replacementDetails?device=NOPE'), [404, 'DEVICE_NOT_FOUND'], 'as documented, when configured')
    // a generated replacement device carries generated details
    const extra = (await call(url, 'POST', '/_sim/devices', { body: { count: 2000 } })).json().devices
    t.ok(extra.some((d: { is_replacement_device?: boolean }) => d.is_replacement_device === true), 'about 1 % are replacements')
    await call(url, 'PATCH', '/_sim/devices/DMPAAAAAAAA3', { body: { device_assigned_date: null } })
    t.match((await api('GET', '/device/replacementDetails?device=DMPAAAAAAAA3')).json(), { replacement_date: '2025-01-01' }, 'flagged by hand: invented details')
    const flagged = sim.world.list().find((d) => sim.world.replacements.has(d.serial_number)) as { serial_number: string }
    t.same((await api('GET', `/device/replacementDetails?device=${flagged.serial_number}`)).json(), { serial_number: flagged.serial_number, ...sim.world.replacements.get(flagged.serial_number) })
  })

  t.test('POST /devices/disown removes devices (sync: deleted)', async (t) => {
    const cursor = (await api('POST', '/server/devices', { body: { limit: 1000 } })).json().cursor
    sim.config.failSerials = ['C02AAAAAAAA4']
    t.same((await api('POST', '/devices/disown', { body: { devices: ['C02AAAAAAAA1', 'NOPE', 'C02AAAAAAAA4'] } })).json(), { devices: { C02AAAAAAAA1: 'SUCCESS', NOPE: 'NOT_ACCESSIBLE', C02AAAAAAAA4: 'FAILED' } })
    sim.config.failSerials = []
    t.notOk(sim.world.devices.has('C02AAAAAAAA1'))
    t.notOk(sim.world.locked.has('C02AAAAAAAA1'), 'its lock goes with it')
    t.match((await api('POST', '/devices/sync', { body: { cursor } })).json().devices, [{ serial_number: 'C02AAAAAAAA1', op_type: 'deleted' }])
    t.same(await send('POST', '/devices/disown', { devices: [] }), [400, 'DEVICE_ID_REQUIRED'])
  })
})

t.test('beta tokens and account-driven enrollment', async (t) => {
  let now = Date.UTC(2026, 4, 1)
  const s = await start(t, { clock: () => now })
  const { sim } = s
  const api = await client(s)
  const send = async (method: string, path: string, body?: unknown): Promise<[number, string]> => {
    const r = await api(method, path, { body })
    return [r.status, r.text]
  }
  t.match((await api('GET', '/os-beta-enrollment/tokens', { version: 1 })).json(), { betaEnrollmentTokens: [{ token: String, title: String, os: 'iOS' }, { os: 'OSX' }] })
  sim.config.betaAccess = false
  t.same(await send('GET', '/os-beta-enrollment/tokens'), [403, 'APPLE_SEED_FOR_IT_TURNED_OFF'])

  const path = '/account-driven-enrollment/profile'
  t.same(await send('GET', path), [404, 'NOT_FOUND'])
  t.same(await send('POST', path, {}), [400, 'MDM_SERVICE_DISCOVERY_URL_REQUIRED'])
  t.same(await send('POST', path, { mdm_service_discovery_url: '' }), [400, 'MDM_SERVICE_DISCOVERY_URL_REQUIRED'])
  t.same(await send('POST', path, { mdm_service_discovery_url: 'http://mdm.example.com/d' }), [400, 'MDM_SERVICE_DISCOVERY_URL_NOT_VALID'])
  t.same(await send('POST', path, { mdm_service_discovery_url: 'nonsense' }), [400, 'MDM_SERVICE_DISCOVERY_URL_NOT_VALID'])
  t.same(await send('POST', path, { mdm_service_discovery_url: 42 }), [400, 'MDM_SERVICE_DISCOVERY_URL_NOT_VALID'])
  t.same(await send('POST', path, { mdm_service_discovery_url: 'https://mdm.example.com/d' }), [200, ''])
  now += 1000
  t.same((await api('GET', path)).json(), { mdm_service_discovery_url: 'https://mdm.example.com/d', last_updated_timestamp: '2026-05-01T00:00:00Z' })
  t.same(await send('DELETE', path), [200, ''])
  t.same(await send('GET', path), [404, 'NOT_FOUND'])
  sim.config.adeSupported = false
  for (const method of ['GET', 'POST', 'DELETE']) t.same(await send(method, path, method === 'POST' ? { mdm_service_discovery_url: 'https://x' } : undefined), [400, 'ORG_NOT_SUPPORTED'], method)
})

t.test('HTTP details depsim clients rely on', async (t) => {
  const s = await start(t)
  const { url, sim } = s
  const api = await client(s)
  t.same([(await call(url, 'PATCH', '/account')).status, (await call(url, 'PATCH', '/account')).text], [405, ''], 'wrong method on a known path')
  t.same([(await call(url, 'GET', '/profile/devices')).status, (await call(url, 'GET', '/profile/devices')).text], [405, ''])
  t.equal((await call(url, 'GET', '/nowhere')).status, 404)
  t.equal((await call(url, 'GET', '/account?x=1', { headers: { } })).status, 401)
  for (const path of ['/server/devices', '/devices/sync', '/devices', '/devices/disown', '/profile', '/profile/devices', '/device/activationlock', '/account-driven-enrollment/profile']) {
    const r = await api('POST', path, { raw: '{"devices": [' })
    t.same([r.status, r.text, r.headers['content-type']], [400, 'MALFORMED_REQUEST_BODY', 'text/plain;charset=UTF8'], path)
  }
  t.equal((await api('DELETE', '/profile/devices', { raw: 'nope' })).status, 400, 'DELETE bodies are parsed too')
  t.equal((await api('POST', '/devices', { raw: JSON.stringify({ devices: [sim.world.list()[0].serial_number] }), headers: { 'content-type': 'text/plain' } })).status, 200, 'any content type is read as JSON')
  t.equal((await api('POST', '/devices', { raw: JSON.stringify({ devices: ['X'] }), headers: { 'content-type': 'application/json' } })).status, 200)
  sim.config.quoteErrors = true
  t.equal((await api('POST', '/devices/sync', { body: {} })).text, '"CURSOR_REQUIRED"', 'depsim quotes codes')
  t.equal((await call(url, 'PUT', '/account')).text, '', '405 stays empty')
  sim.config.quoteErrors = false
  t.equal((await api('POST', '/server/devices', { raw: '  ' })).status, 200, 'a blank body is no body')
})

t.test('unexpected errors: bare codes for Apple paths, JSON for the control API', async (t) => {
  const app = await buildSimulator({ devices: 0 })
  t.teardown(() => app.close())
  const tooBig = Object.assign(new Error('too big'), { statusCode: 413 })
  app.get('/boom', async () => { throw new Error('boom') })
  app.get('/big', async () => { throw tooBig })
  app.get('/_sim/boom', async () => { throw new Error('boom') })
  const boom = await app.inject('/boom')
  t.same([boom.statusCode, boom.body], [500, 'INTERNAL_SERVER_ERROR'])
  const big = await app.inject('/big')
  t.same([big.statusCode, big.body], [413, 'BAD_REQUEST'])
  const sim = await app.inject('/_sim/boom')
  t.same([sim.statusCode, sim.json()], [500, { error: 'boom' }])
})
