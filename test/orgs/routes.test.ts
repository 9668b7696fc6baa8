/**
 * The org routes over real HTTP against the simulator's AxM side: an account checked by getting a
 * token (refusals answered before anything is stored), shown without secrets; the org mirror
 * refreshed on the app's clock (a refresh Apple refuses shown on the org's view), then read as JSON pages with totals and filters, NDJSON and CSV;
 * one device from the mirror and live (AppleCare; before the mirror lists its MDM server); MDM servers with counts; delete.
 */
import t from 'tap'
import { request } from 'undici'
import { startOrgApp } from './org-app.js'

/** The simulated organisation: the DEP server's 20 devices and 30 more. */
const TOTAL = 50

t.test('orgs: account, mirror, reads', async (t) => {
  const { ctx, sim, call, account, body, refresh } = await startOrgApp(t)

  t.same((await call('GET', '/v1/orgs')).json, { orgs: [] })
  t.match(await call('PUT', '/v1/orgs/acme', { ...body, client_id: 'NOPE.1' }), { status: 400, json: { code: 'INVALID_ORG_ACCOUNT', errors: [{ field: 'body.client_id' }] } })
  t.match(await call('PUT', '/v1/orgs/acme', { ...body, private_key: 'not a key' }), { status: 400, json: { code: 'INVALID_ORG_ACCOUNT', errors: [{ field: 'body.private_key' }] } })
  t.match(await call('PUT', '/v1/orgs/acme', { ...body, key_id: 'unknown-key' }), { status: 422, json: { code: 'ORG_CREDENTIALS_REJECTED' } })
  t.match(await call('PUT', '/v1/orgs/acme', { ...body, token_url: 'http://127.0.0.1:1/token' }), { status: 502, json: { code: 'UPSTREAM_UNREACHABLE' } }, 'Apple unreachable while verifying')
  t.same((await call('GET', '/v1/orgs')).json, { orgs: [] }, 'nothing stored by a refused account')

  const created = await call('PUT', '/v1/orgs/acme', body)
  t.equal(created.status, 201)
  t.equal(created.headers.location, '/v1/orgs/acme')
  t.match(created.json, { name: 'acme', client_id: account.clientId, scope: 'business.api', base_url: sim.url, token: { expires_at: String }, mirror: { ready: false } })
  t.notOk(created.text.includes('PRIVATE KEY'), 'the key is never answered')
  t.equal((await call('PUT', '/v1/orgs/acme?verify=false', body)).status, 200, 'replaced without asking Apple')

  t.match(await call('GET', '/v1/orgs/acme/devices'), { status: 503, json: { code: 'ORG_MIRROR_NOT_READY' }, headers: { 'retry-after': '30' } })
  t.match(await call('GET', '/v1/orgs/acme/mdm-servers'), { status: 503 })
  t.match(await call('GET', '/v1/orgs/acme/devices/X'), { status: 503 })

  // Live before the mirror's first walk: Apple names the MDM server, the mirror does not list it yet.
  const simDevices = (await request(`${sim.url}/_sim/axm/devices`)).body.json() as Promise<{ devices: Array<{ serialNumber: string, mdmServer: string | null }> }>
  const onServer = (await simDevices).devices.find((d) => d.mdmServer !== null)!
  t.match((await call('GET', `/v1/orgs/acme/devices/${onServer.serialNumber}?source=apple`)).json, { source: 'apple', device: { mdm_server: onServer.mdmServer }, mdm_server_name: null })

  // A refresh Apple refuses: its error is on the org's view, with a sentence and a time.
  const fault = await request(`${sim.url}/_sim/faults`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ endpoint: 'axm.mdm_servers', kind: 'status', status: 403 }) })
  t.equal(fault.statusCode, 200)
  await fault.body.dump()
  await refresh()
  t.match((await call('GET', '/v1/orgs/acme')).json, { mirror: { ready: false, last_error: { code: 'ORG_ACCOUNT_REFUSED', message: /Apple refused the API account of org "acme"/, at: String } } })
  t.match((await call('GET', '/v1/orgs')).json, { orgs: [{ name: 'acme', mirror: { last_error: { code: 'ORG_ACCOUNT_REFUSED' } } }] })
  await ctx.app.store.orgMirror.requestRefresh('acme')
  await refresh()
  const org = (await call('GET', '/v1/orgs/acme')).json
  t.match(org, { mirror: { ready: true, device_count: TOTAL, last_seq: TOTAL, last_error: null } })

  const first = await call('GET', '/v1/orgs/acme/devices?limit=12')
  t.match(first.json, { count: 12, total: TOTAL, next_page_token: String, last_seq: TOTAL })
  const seen: string[] = first.json.devices.map((d: { serial_number: string }) => d.serial_number)
  let token: string | null = first.json.next_page_token
  while (token !== null) {
    const page = await call('GET', `/v1/orgs/acme/devices?limit=12&page_token=${token}`)
    seen.push(...page.json.devices.map((d: { serial_number: string }) => d.serial_number))
    token = page.json.next_page_token
  }
  t.equal(new Set(seen).size, TOTAL, 'pages cover every device once')
  t.match(await call('GET', `/v1/orgs/acme/devices?status=assigned&page_token=${first.json.next_page_token as string}`), { status: 400, json: { code: 'INVALID_PAGE_TOKEN' } })

  const devices = (await call('GET', '/v1/orgs/acme/devices?limit=1000')).json.devices as Array<{ serial_number: string, status: string, mdm_server: string | null, product_family: string }>
  const assigned = devices.filter((d) => d.status === 'ASSIGNED')
  t.ok(assigned.length > 0 && assigned.every((d) => d.mdm_server !== null), 'assigned devices name their MDM server')
  t.equal((await call('GET', '/v1/orgs/acme/devices?status=ASSIGNED')).json.total, assigned.length)
  const family = devices[0].product_family
  t.equal((await call('GET', `/v1/orgs/acme/devices?product_family=${family.toLowerCase()}`)).json.total, devices.filter((d) => d.product_family === family).length)
  t.equal((await call('GET', `/v1/orgs/acme/devices?serial_prefix=${devices[0].serial_number.slice(0, 30)}`)).json.total, 1)

  const servers = (await call('GET', '/v1/orgs/acme/mdm-servers')).json
  t.equal(servers.mdm_servers.reduce((n: number, s: { device_count: number }) => n + s.device_count, 0), assigned.length, 'counts add up to the assigned devices')

  const nd = await call('GET', '/v1/orgs/acme/devices', undefined, { accept: 'application/x-ndjson' })
  const lines = nd.text.trim().split('\n').map((l) => JSON.parse(l))
  t.equal(lines.length, TOTAL + 1)
  t.match(lines[TOTAL], { count: TOTAL, last_seq: TOTAL })
  const csv = await call('GET', '/v1/orgs/acme/devices?format=csv&status=unassigned')
  t.match(csv.headers['content-type'], /^text\/csv/)
  t.equal(csv.text.trim().split('\r\n').length, 1 + devices.length - assigned.length)
  t.match(csv.text, /^\uFEFF?serial_number,status,mdm_server/)

  const serial = assigned[0].serial_number
  t.match((await call('GET', `/v1/orgs/acme/devices/${serial}`)).json, { source: 'mirror', device: { serial_number: serial, applecare_end: null }, applecare: null, mdm_server_name: String })
  const live = (await call('GET', `/v1/orgs/acme/devices/${serial}?source=apple`)).json
  t.match(live, { source: 'apple', device: { serial_number: serial, mdm_server: assigned[0].mdm_server }, applecare: Array })
  t.match(await call('GET', '/v1/orgs/acme/devices/NOSUCHSERIAL'), { status: 404, json: { code: 'ORG_DEVICE_NOT_FOUND' } })
  t.match(await call('GET', '/v1/orgs/acme/devices/NOSUCHSERIAL?source=apple'), { status: 404, json: { code: 'ORG_DEVICE_NOT_FOUND' } })

  t.match(await call('GET', '/v1/orgs/nope'), { status: 404, json: { code: 'ORG_NOT_FOUND' } })
  t.match(await call('GET', '/v1/orgs/nope/devices'), { status: 404, json: { code: 'ORG_NOT_FOUND' } })
  t.match(await call('GET', '/v1/orgs/nope/devices/X?source=apple'), { status: 404, json: { code: 'ORG_NOT_FOUND' } })
  t.equal((await call('DELETE', '/v1/orgs/acme')).status, 204)
  t.match(await call('DELETE', '/v1/orgs/acme'), { status: 404, json: { code: 'ORG_NOT_FOUND' } })
})
