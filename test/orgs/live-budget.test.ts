/**
 * The org routes' live calls within the org's request budget (DEPGATE_ORG_REQUEST_BUDGET at its
 * default, 20 GETs a minute) over real HTTP against the simulator, on the app's clock: six live
 * device reads (three GETs each) and two MDM server checks Apple answers go through, the next
 * check and the seventh read are refused 429 ORG_REQUEST_BUDGET_EXHAUSTED with Retry-After before Apple is called,
 * and a minute later the budget is there again; Apple refusing a live read is the account's problem.
 */
import t from 'tap'
import { ManualScheduler } from '../../src/scheduler.js'
import { httpCaller } from './http-call.js'
import { buildTestApp } from '../helper.js'

t.test('live org calls share the org\'s request budget', async (t) => {
  const scheduler = new ManualScheduler()
  const ctx = await buildTestApp(t, { scheduler, simulator: { orgDevices: 10 }, orgs: { refresh: false } })
  const url = await ctx.app.listen({ host: '127.0.0.1', port: 0 })
  const sim = httpCaller(ctx.sim!.url, () => ({}))
  const call = httpCaller(url, ctx.auth)
  const account = (await sim('POST', '/_sim/axm/keys', {})).json
  const base = ctx.sim!.url
  t.equal((await call('PUT', '/v1/orgs/acme?verify=false', { client_id: account.clientId, key_id: account.keyId, private_key: account.privateKey, base_url: base, token_url: `${base}/auth/oauth2/token` })).status, 201)
  const serials = ((await sim('GET', '/_sim/axm/devices')).json.devices as Array<{ serialNumber: string }>).map((d) => d.serialNumber)
  const appleCalls = async (): Promise<number> => {
    const { requests } = (await sim('GET', '/_sim/axm/stats')).json as { requests: Record<string, number> }
    return Object.values(requests).reduce((n, x) => n + x, 0)
  }

  for (const serial of serials.slice(0, 6)) {
    t.match(await call('GET', `/v1/orgs/acme/devices/${serial}?source=apple`), { status: 200, json: { source: 'apple', device: { serial_number: serial } } })
  }
  // 18 GETs taken: two MDM server checks Apple answers fit, the third does not.
  const check = async () => await call('POST', '/v1/orgs/acme/device-assignments', { action: 'assign', mdm_server: 'NOT-LISTED', serials: [serials[0]] })
  t.match(await check(), { status: 404, json: { code: 'ORG_MDM_SERVER_NOT_FOUND' } })
  t.match(await check(), { status: 404, json: { code: 'ORG_MDM_SERVER_NOT_FOUND' } })
  const before = await appleCalls()
  t.match(await check(), { status: 429, headers: { 'retry-after': '60' }, json: { code: 'ORG_REQUEST_BUDGET_EXHAUSTED' } }, 'an MDM server check Apple would answer waits its turn too')
  const refused = await call('GET', `/v1/orgs/acme/devices/${serials[6]}?source=apple`)
  t.match(refused, { status: 429, headers: { 'retry-after': '60', 'content-type': /^application\/problem\+json/ }, json: { code: 'ORG_REQUEST_BUDGET_EXHAUSTED', detail: /within 20 a minute \(DEPGATE_ORG_REQUEST_BUDGET\).*try again in 60 second/ } })
  t.equal(await appleCalls(), before, 'Apple was not called beyond the budget')
  t.equal((await call('GET', `/v1/orgs/acme/devices/${serials[6]}?source=apple`)).status, 429, 'still a moment later')

  await scheduler.advance(60_000)
  t.match(await call('GET', `/v1/orgs/acme/devices/${serials[6]}?source=apple`), { status: 200, json: { device: { serial_number: serials[6] } } }, 'a minute later')

  // Apple refusing the device read itself (not a 404): the account's problem, not "no such device".
  t.equal((await sim('POST', '/_sim/faults', { endpoint: 'axm.org_device', kind: 'status', status: 403 })).status, 200)
  t.match(await call('GET', `/v1/orgs/acme/devices/${serials[7]}?source=apple`), { status: 502, json: { code: 'ORG_ACCOUNT_REFUSED' } })
})
