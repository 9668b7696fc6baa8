/**
 * Wire variations the simulator does not produce but Apple's documents and other clients report
 * (docs/apple-axm.md §2.3, §3, §5.3, §6): a next link without `nextCursor`, absent attributes,
 * drifting field names and types, CSV logs in other spellings. An undici MockAgent stands in for Apple.
 */
import { generateKeyPairSync } from 'node:crypto'
import t from 'tap'
import { MockAgent } from 'undici'
import { createAxmClient, parseAppleErrors, readActivityLog } from '../../src/axm/index.js'

const API = 'https://api-business.apple.com'

t.test('pages follow links.next; devices and servers are normalised', async (t) => {
  const agent = new MockAgent()
  agent.disableNetConnect()
  t.teardown(() => agent.close())
  agent.get('https://account.apple.com').intercept({ path: '/auth/oauth2/token', method: 'POST' }).reply(200, { access_token: 'a', token_type: 'Bearer', expires_in: 3600 }).times(3)
  const api = agent.get(API)
  api.intercept({ path: '/v1/orgDevices?limit=1000', method: 'GET' }).reply(200, {
    data: [{ type: 'orgDevices', id: 'S1', attributes: { imei: '3512', wifiMacAddress: ['aa'], builtInEthernetMacAddress: 'bb', purchaseSourceUid: '77', color: null, meid: [''] } }],
    links: { self: `${API}/v1/orgDevices`, next: `${API}/v1/orgDevices?cursor=NEXT` }
  })
  api.intercept({ path: '/v1/orgDevices?limit=1000&cursor=NEXT', method: 'GET' }).reply(200, { data: [{ type: 'orgDevices', id: 'S2' }], links: null })
  api.intercept({ path: '/v1/mdmServers?limit=1000', method: 'GET' }).reply(200, { data: [{ type: 'mdmServers', id: 'M1' }, { type: 'mdmServers', id: 'M2', attributes: { serverName: 'x', deviceCount: null } }], links: { next: `${API}/v1/mdmServers` } })
  api.intercept({ path: '/v1/orgDevices/S4', method: 'GET' }).replyWithError(new Error('socket hang up'))
  api.intercept({ path: '/v1/orgDevices/S2/appleCareCoverage?limit=1000', method: 'GET' }).reply(200, { data: [{ type: 'appleCareCoverage', id: 'C1' }] })
  api.intercept({ path: '/v1/orgDevices/S2/relationships/assignedServer', method: 'GET' }).reply(401, 'Unauthorized', { headers: { 'retry-after': 'soon' } }).times(2)
  api.intercept({ path: '/v1/orgDevices/S3', method: 'GET' }).reply(404, { errors: [{ status: '404', code: 'NOT_FOUND', title: 't', detail: 'd' }, 'junk'] })
  const { privateKey } = generateKeyPairSync('ec', { namedCurve: 'prime256v1' })
  const client = createAxmClient({ clientId: 'BUSINESSAPI.x', keyId: 'k', privateKey, dispatcher: agent })
  t.teardown(() => client.close())

  const pages = []
  for await (const page of client.orgDevicePages()) pages.push(page)
  t.same(pages.map((p) => p.nextCursor), ['NEXT', undefined])
  t.match(pages[0].items[0], { id: 'S1', serialNumber: 'S1', imei: ['3512'], meid: [], wifiMacAddress: ['aa'], ethernetMacAddress: ['bb'], purchaseSourceId: '77', bluetoothMacAddress: [] })
  t.notOk('color' in pages[0].items[0], 'null is absent')
  t.same(pages[1].items[0], { id: 'S2', serialNumber: 'S2', imei: [], meid: [], wifiMacAddress: [], bluetoothMacAddress: [], ethernetMacAddress: [], attributes: {} })
  t.same(await client.listMdmServers(), [{ id: 'M1' }, { id: 'M2', serverName: 'x' }])
  t.same(await client.getAppleCareCoverage('S2'), [{ id: 'C1' }])
  const unauthorized = await client.getAssignedServerId('S2').catch((e: unknown) => e)
  t.match(unauthorized, { code: 'UNAUTHORIZED', errors: [], message: 'assigned_server: Apple answered 401' })
  t.equal((unauthorized as { retryAfterSeconds?: number }).retryAfterSeconds, undefined, 'a Retry-After that is no number is not kept')
  t.match(await client.getOrgDevice('S3').catch((e: unknown) => e), { code: 'NOT_FOUND', errors: [{ code: 'NOT_FOUND' }] })
  const impatient = createAxmClient({ clientId: 'BUSINESSAPI.x', keyId: 'k', privateKey, dispatcher: agent, retryDeadlineMs: 0 })
  await t.rejects(impatient.getOrgDevice('S4'), { code: 'NETWORK_ERROR', message: /\(unknown\)/ })
})

t.test('Apple\'s error documents and activity logs are read leniently', async (t) => {
  t.same(parseAppleErrors('<html>'), [])
  t.same(parseAppleErrors('{"errors": {}}'), [])
  t.same(parseAppleErrors('[]'), [])
  const log = readActivityLog('serialNumber,Status,Message,Extra\r\nA1,SUCCESS,,x\r\n"B,2",FAILED,"said ""no""\nthen left"\n\nC3,FAILED,short\nD4,FAILED')
  t.same(log, [
    { serial: 'A1', result: 'SUCCESS', columns: { serialNumber: 'A1', Status: 'SUCCESS', Message: '', Extra: 'x' } },
    { serial: 'B,2', result: 'FAILED', reason: 'said "no"\nthen left', columns: { serialNumber: 'B,2', Status: 'FAILED', Message: 'said "no"\nthen left', Extra: '' } },
    { serial: 'C3', result: 'FAILED', reason: 'short', columns: { serialNumber: 'C3', Status: 'FAILED', Message: 'short', Extra: '' } },
    { serial: 'D4', result: 'FAILED', columns: { serialNumber: 'D4', Status: 'FAILED', Message: '', Extra: '' } }
  ])
  t.same(readActivityLog('Device\nX\n'), [{ serial: 'X', result: '', columns: { Device: 'X' } }], 'no result or reason column')
  t.same(readActivityLog(''), [])
  t.same(readActivityLog('Result\nSUCCESS'), [{ serial: '', result: 'SUCCESS', columns: { Result: 'SUCCESS' } }], 'no serial column')
})
