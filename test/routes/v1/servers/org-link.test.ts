/**
 * A DEP server linked to its org, over real HTTP against the simulator (one organisation behind
 * both APIs): PATCH and PUT find the server's MDM server id by its name in Apple Business Manager
 * (exact, then ignoring case), refuse none or several with the candidates, an unknown org or id,
 * and an org not read yet; the server view shows the link; a device read of a linked server
 * carries the org mirror's view of the device, from the mirror and live, without one AxM request.
 */
import t, { type Test } from 'tap'
import { request } from 'undici'
import { DEPSIM_CREDENTIALS, type SimState } from '../../../../src/simulator/index.js'
import { ManualScheduler } from '../../../../src/scheduler.js'
import { httpCaller } from '../../../orgs/http-call.js'
import { buildTestApp, until } from '../../../helper.js'

const SIM_NAME = 'depgate simulator'

t.test('linking a DEP server to its org, and the joined device view', async (t) => {
  const scheduler = new ManualScheduler()
  const ctx = await buildTestApp(t, {
    scheduler,
    simulator: { devices: 6, orgDevices: 8 },
    env: { DEPGATE_MIRROR: 'true', DEPGATE_ORG_REQUEST_BUDGET: '10000' },
    orgs: { refresh: false }
  })
  const url = await ctx.app.listen({ host: '127.0.0.1', port: 0 })
  const sim = ctx.sim!
  const state = (sim.app as unknown as { sim: SimState }).sim
  const call = httpCaller(url, ctx.auth)
  const simCall = async (method: string, path: string, body?: unknown) => {
    const res = await request(sim.url + path, { method: method as 'GET', headers: body === undefined ? {} : { 'content-type': 'application/json' }, body: body === undefined ? undefined : JSON.stringify(body) })
    return await res.body.json() as any
  }
  const refresh = async (org: string): Promise<void> => {
    await ctx.app.orgs.refresher.tick()
    const run = ctx.app.orgs.refresher.current(org)
    if (run !== undefined) await scheduler.settle(run)
  }
  const account = await simCall('POST', '/_sim/axm/keys', {})
  const orgBody = { client_id: account.clientId, key_id: account.keyId, private_key: account.privateKey, base_url: sim.url, token_url: `${sim.url}/auth/oauth2/token` }
  t.equal((await call('PUT', '/v1/orgs/acme', orgBody)).status, 201)
  const depId = (await simCall('GET', '/_sim/axm/servers')).depServerId as string
  await until('the DEP mirror to be ready', async () => {
    await scheduler.advance(1000)
    return (await ctx.app.mirror.status('default')).ready
  })
  const serial = (await simCall('GET', '/_sim/devices')).devices[0].serial_number as string

  t.test('before the org is read', async (t) => {
    t.match(await call('PATCH', '/v1/servers/default', { org: 'acme' }), { status: 503, json: { code: 'ORG_MIRROR_NOT_READY' }, headers: { 'retry-after': '30' } })
    const given = await call('PATCH', '/v1/servers/default', { org: 'acme', org_mdm_server: depId })
    t.match(given, { status: 200, json: { name: 'default', org: 'acme', org_mdm_server: depId } }, 'an id given is taken before the first refresh')
    t.match((await call('GET', `/v1/servers/default/devices/${serial}`)).json, { serial_number: serial, org: null, source: 'mirror' }, 'nothing to join yet: org null')
    t.match(await call('PATCH', '/v1/servers/default', { org: null }), { status: 200, json: { org: null, org_mdm_server: null } })
  })

  await refresh('acme')
  const noAxm = async <T>(t: Test, what: () => Promise<T>): Promise<T> => {
    await simCall('POST', '/_sim/axm/stats/reset', {})
    const out = await what()
    const stats = await simCall('GET', '/_sim/axm/stats')
    t.equal(Object.values(stats.requests as Record<string, number>).reduce((a, b) => a + b, 0), 0, 'no AxM request')
    t.equal(stats.tokensIssued, 0)
    return out
  }

  t.test('refusals change nothing', async (t) => {
    t.match(await call('PATCH', '/v1/servers/default', { org: 'nope' }), { status: 404, json: { code: 'ORG_NOT_FOUND' } })
    t.match(await call('PATCH', '/v1/servers/default', { org: 'acme', org_mdm_server: 'NOPE' }), { status: 404, json: { code: 'ORG_MDM_SERVER_NOT_FOUND' } })
    t.match(await call('PATCH', '/v1/servers/default', { org: null, org_mdm_server: depId }), { status: 400, json: { code: 'VALIDATION_FAILED', errors: [{ field: 'body.org_mdm_server' }] } })
    t.match(await call('PUT', '/v1/servers/default', { token: DEPSIM_CREDENTIALS, base_url: sim.url, org_mdm_server: depId }), { status: 400, json: { code: 'VALIDATION_FAILED' } })
    t.match(await call('PATCH', '/v1/servers/ghost', { org: 'acme' }), { status: 404, json: { code: 'SERVER_NOT_FOUND' } })
    t.match(await call('PATCH', '/v1/servers/default', { org: 'acme', extra: 1 }), { status: 400, json: { code: 'UNKNOWN_FIELD' } })
    t.match((await call('GET', '/v1/servers/default')).json, { org: null, org_mdm_server: null })
    await t.rejects(ctx.app.depServers.link('ghost', { link: null }), { code: 'SERVER_NOT_FOUND' }, 'the registry refuses an unknown server too')
  })

  t.test('PATCH finds the id by the name Apple gives the server, and keeps that name', async (t) => {
    const linked = await call('PATCH', '/v1/servers/default', { org: 'acme' })
    t.match(linked, { status: 200, json: { org: 'acme', org_mdm_server: depId, account: { server_name: SIM_NAME } } })
    t.match((await call('GET', '/v1/servers/default')).json, { org: 'acme', org_mdm_server: depId, inventory: { ready: true } })
    t.match((await call('GET', '/v1/servers')).json.servers, [{ name: 'default', org: 'acme' }])
    const audit = (await call('GET', '/v1/audit?action=server.org')).json
    t.match(audit.entries[0], { action: 'server.org', result: 'ok', detail: `linked to org acme (MDM server ${depId})` })
    // The name is stored now: linking again asks Apple nothing.
    await simCall('POST', '/_sim/stats/reset', {})
    t.equal((await call('PATCH', '/v1/servers/default', { org: 'acme' })).status, 200)
    t.equal((await simCall('GET', '/_sim/stats')).requests.account, 0, 'the stored name was used')
    t.equal((await call('PATCH', '/v1/servers/default', { org: 'acme', org_mdm_server: depId.toLowerCase() })).json.org_mdm_server, depId, 'an id in another case is the org\'s')
  })

  t.test('one device, both views, without asking the org\'s Apple', async (t) => {
    const fromMirror = await noAxm(t, async () => await call('GET', `/v1/servers/default/devices/${serial.toLowerCase()}`))
    t.equal(fromMirror.headers['x-depgate-source'], 'mirror')
    const org = fromMirror.json.org
    t.match(org, {
      name: 'acme',
      refreshed_at: String,
      status: 'ASSIGNED',
      order_number: String,
      order_date: String,
      purchase_source: String,
      mdm_server: { id: depId, name: SIM_NAME, is_this_server: true },
      applecare_end: null
    })
    t.equal(fromMirror.json.source, 'mirror', 'source stays last')
    const orgDevice = (await call('GET', `/v1/orgs/acme/devices/${serial}`)).json.device
    t.equal(org.order_number, orgDevice.order_number, 'the org mirror\'s purchase data')
    t.equal(org.order_date, orgDevice.attributes.orderDateTime)

    // A live lookup stores the AppleCare end; the joined view shows it from then on.
    const live = (await call('GET', `/v1/orgs/acme/devices/${serial}?source=apple`)).json
    const fromApple = await noAxm(t, async () => await call('GET', `/v1/servers/default/devices/${serial}?source=apple`))
    t.match(fromApple.json, { serial_number: serial, source: 'apple', org: { name: 'acme', applecare_end: live.device.applecare_end, mdm_server: { is_this_server: true } } })
    t.match(await call('GET', '/v1/servers/default/devices/NOSUCHSERIAL1'), { status: 404, json: { code: 'DEVICE_NOT_FOUND' } })

    // A device added to the DEP server since the org was read: the org mirror does not know it yet.
    const added = (await simCall('POST', '/_sim/devices', { count: 1 })).devices[0].serial_number as string
    await ctx.app.mirror.requestSync('default', { wait: true })
    t.match((await call('GET', `/v1/servers/default/devices/${added}`)).json, { serial_number: added, org: null })
  })

  t.test('PUT links with the token, by the name Apple gives the token sent', async (t) => {
    state.account.server_name = SIM_NAME.toUpperCase()
    t.teardown(() => { state.account.server_name = SIM_NAME })
    const made = await call('PUT', '/v1/servers/lyon', { token: DEPSIM_CREDENTIALS, base_url: sim.url, org: 'acme' })
    t.match(made, { status: 201, json: { name: 'lyon', org: 'acme', org_mdm_server: depId, account: { server_name: SIM_NAME.toUpperCase() } } }, 'matched ignoring case')
    // Its mirror has not synced yet: Apple answers the device, the org mirror adds its view.
    const early = await call('GET', `/v1/servers/lyon/devices/${serial}`)
    t.match(early, { headers: { 'x-depgate-source': 'apple' }, json: { source: 'apple', org: { name: 'acme', mdm_server: { is_this_server: true } } } })
    const kept = await call('PUT', '/v1/servers/lyon', { token: DEPSIM_CREDENTIALS, base_url: sim.url })
    t.match(kept, { status: 200, json: { org: 'acme', org_mdm_server: depId } }, 'a renewed token keeps the link')
    t.match((await call('PUT', '/v1/servers/lyon', { token: DEPSIM_CREDENTIALS, base_url: sim.url, org: null })).json, { org: null, org_mdm_server: null })
    const audit = (await call('GET', '/v1/audit?action=server.put')).json.entries.map((e: { detail: string }) => e.detail)
    t.ok(audit.includes(`created; linked to org acme (MDM server ${depId})`))
    t.ok(audit.includes('replaced; unlinked from its org'))

    t.match(await call('PUT', '/v1/servers/paris', { token: { ...DEPSIM_CREDENTIALS, access_token_expiry: '2020-01-01T00:00:00Z' }, org: 'acme' }), { status: 409, json: { code: 'SERVER_TOKEN_EXPIRED' } }, 'the token sent is refused before Apple is asked')

    // The org gets a second "Branch office MDM", one without a name and 20 more: 25 MDM servers.
    const saved = new Map(state.axm.org.servers)
    t.teardown(() => {
      state.axm.org.servers.clear()
      for (const [id, s] of saved) state.axm.org.servers.set(id, s)
    })
    const extra = (id: string, serverName: string) => state.axm.org.servers.set(id, { id, serverName, serverType: 'MDM', createdDateTime: '2024-01-01T00:00:00Z' })
    extra('0D0D0D0D0D0D4D0D8D0D0D0D0D0D0D0D', 'Branch office MDM')
    for (let i = 10; i < 30; i++) extra(`0E0E0E0E0E0E4E0E8E0E0E0E0E0E0E${i}`, `School ${i}`)
    extra('0C0C0C0C0C0C4C0C8C0C0C0C0C0C0C0C', '')
    const reread = async (): Promise<void> => {
      await ctx.store.orgMirror.requestRefresh('acme')
      await refresh('acme')
    }
    await reread()

    state.account.server_name = 'Paris MDM'
    const none = await call('PUT', '/v1/servers/paris', { token: DEPSIM_CREDENTIALS, base_url: sim.url, org: 'acme' })
    t.match(none, { status: 422, json: { code: 'ORG_MDM_SERVER_NOT_MATCHED', errors: [{ field: 'body.org_mdm_server' }] } })
    t.match(none.json.detail, /No MDM server of org "acme" is named "Paris MDM".*"Branch office MDM" \(id 0D0D0D0D0D0D4D0D8D0D0D0D0D0D0D0D\).* and 5 more\. Pass org_mdm_server/)
    t.match(none.json.detail, /"\(no name\)" \(id 0C0C0C0C0C0C4C0C8C0C0C0C0C0C0C0C\)/)
    t.equal((await call('GET', '/v1/servers/paris')).status, 404, 'nothing stored')

    delete state.account.server_name
    t.match(await call('PUT', '/v1/servers/paris', { token: DEPSIM_CREDENTIALS, base_url: sim.url, org: 'acme' }), { status: 422, json: { code: 'ORG_MDM_SERVER_NOT_MATCHED', detail: /Apple's \/account does not name DEP server "paris"/ } })

    state.account.server_name = 'Branch office MDM'
    const several = await call('PUT', '/v1/servers/paris', { token: DEPSIM_CREDENTIALS, base_url: sim.url, org: 'acme' })
    t.match(several, { status: 422, json: { code: 'ORG_MDM_SERVER_NOT_MATCHED', detail: /Several MDM servers of org "acme" are named "Branch office MDM".*0D0D0D0D0D0D4D0D8D0D0D0D0D0D0D0D.*8B2C0D6E4A1F4E7C9D3B5A7F1E2C4D6A/ } })
    t.match((await call('PUT', '/v1/servers/paris', { token: DEPSIM_CREDENTIALS, base_url: sim.url, org: 'acme', org_mdm_server: '0D0D0D0D0D0D4D0D8D0D0D0D0D0D0D0D' })).json, { org: 'acme', org_mdm_server: '0D0D0D0D0D0D4D0D8D0D0D0D0D0D0D0D' }, 'the id given settles it')

    state.axm.org.servers.clear()
    await reread()
    t.match(await call('PUT', '/v1/servers/nice', { token: DEPSIM_CREDENTIALS, base_url: sim.url, org: 'acme' }), { status: 422, json: { detail: /Its MDM servers: none\./ } }, 'an org without MDM servers')
    for (const [id, s] of saved) state.axm.org.servers.set(id, s)
    await reread()
  })

  t.test('linked to an org since deleted: org null', async (t) => {
    t.equal((await call('PUT', '/v1/orgs/gone?verify=false', orgBody)).status, 201)
    t.match((await call('PATCH', '/v1/servers/lyon', { org: 'gone', org_mdm_server: depId })).json, { org: 'gone' })
    t.equal((await call('DELETE', '/v1/orgs/gone')).status, 204)
    t.match((await call('GET', '/v1/servers/lyon')).json, { org: 'gone', org_mdm_server: depId }, 'the link stays: an org put again under the name is joined again')
    t.match((await call('GET', `/v1/servers/lyon/devices/${serial}`)).json, { serial_number: serial, org: null })
  })

  t.test('unlinked: no org block', async (t) => {
    t.match((await call('PATCH', '/v1/servers/default', { org: null })).json, { org: null })
    const answer = (await call('GET', `/v1/servers/default/devices/${serial}`)).json
    t.equal(answer.serial_number, serial)
    t.notOk('org' in answer, 'a server without an org answers no org')
    t.notOk('org' in (await call('GET', `/v1/servers/default/devices/${serial}?source=apple`)).json)
  })
})
