import t from 'tap'
import { call, client, login, start } from './fixtures/helper.js'

t.test('User-Agent', async (t) => {
  const { url, sim } = await start(t)
  const token = await login(url)
  const status = async (ua: string | null): Promise<[number, string]> => {
    const res = await call(url, 'GET', '/account', { token, ua })
    return [res.status, res.text]
  }
  t.same(await status(null), [400, 'USER_AGENT_MISSING'])
  t.same(await status('  '), [400, 'USER_AGENT_MISSING'])
  t.same(await status('nanodep-godep/0'), [400, 'USER_AGENT_INVALID'], 'the UA Apple blocked in 2024')
  t.equal((await status('nanodep-g-o-dep/0'))[0], 200)
  sim.config.userAgentDenyList = ['curl', '']
  t.same(await status('curl/8'), [400, 'USER_AGENT_INVALID'])
  t.equal((await status('nanodep-godep/0'))[0], 200)
  t.equal((await call(url, 'GET', '/session', { ua: null, headers: { authorization: 'x' } })).status, 400, '/session does not need one, but still checks OAuth')
})

t.test('X-Server-Protocol-Version gates fields', async (t) => {
  const { url, sim } = await start(t, { devices: 0 })
  const api = await client(url)
  const ipad = { serial_number: 'DMPAAAAAAAA1', device_family: 'iPad', os: 'iPadOS', mdm_migration_deadline: '2026-06-01T00:00:00Z', eid: '89', wifi_mac_address: 'aa', ethernet_mac_address: 'bb', bluetooth_mac_address: 'cc', imei: ['1'], meid: ['2'], is_replacement_device: true }
  await call(url, 'POST', '/_sim/devices', { body: { devices: [ipad] } })
  const details = async (version: number | null): Promise<Record<string, unknown>> =>
    (await api('POST', '/devices', { body: { devices: [ipad.serial_number] }, version })).json().devices[ipad.serial_number]

  const v1 = await details(null)
  t.notOk('os' in v1 || 'device_family' in v1, 'missing header = v1: no os / device_family')
  t.equal((await details(1)).os, undefined)
  t.match(await details(2), { os: 'iOS', device_family: 'iPad' })
  t.equal((await details(6)).os, 'iOS')
  t.equal((await details(7)).os, 'iPadOS')
  t.notOk('mdm_migration_deadline' in await details(7))
  const v9 = await details(9)
  t.ok('mdm_migration_deadline' in v9)
  for (const key of ['eid', 'wifi_mac_address', 'ethernet_mac_address', 'bluetooth_mac_address', 'imei', 'meid', 'is_replacement_device']) t.notOk(key in v9, `${key} needs v10`)
  t.match(await details(10), { eid: '89', imei: ['1'], meid: ['2'], is_replacement_device: true, response_status: 'SUCCESS' })
  const junk = (await api('POST', '/devices', { body: { devices: [ipad.serial_number] }, headers: { 'x-server-protocol-version': 'ten' }, version: null })).json()
  t.notOk('os' in junk.devices[ipad.serial_number], 'an unreadable version counts as 1')

  const v2account = (await api('GET', '/account', { version: 2 })).json()
  t.notOk('org_id' in v2account || 'urls' in v2account || 'org_type' in v2account)
  t.match((await api('GET', '/account', { version: 3 })).json(), { org_type: 'org', org_version: 'v2', org_id: String, org_id_hash: /^[0-9a-f]{64}$/, urls: Array })
  sim.config.orgType = 'edu'
  const v3 = (await api('GET', '/account', { version: 3 })).json()
  t.equal(v3.org_type, 'edu')
  t.match(v3, { server_name: String, server_uuid: /^[0-9A-F]{32}$/, admin_id: String, facilitator_id: String, org_name: String, org_email: String, org_phone: String, org_address: String })
  t.same(v3.urls.find((u: { uri: string }) => u.uri === '/server/devices').limit, { default: 100, maximum: 1000 })
})
