/**
 * The dashboard's Orgs page, a linked server's device page and the overview's org link against a
 * real depgate and the simulator's organisation over HTTP (SQLite, or PostgreSQL with
 * DEPGATE_TEST_DATABASE=postgres), the clock driven: before the org's first refresh, after it
 * (counts as GET /v1/orgs/{org} and …/mdm-servers answer them, the device's org block as GET
 * …/devices/{serial} carries it), a device the org does not hold, and an org deleted under its link.
 */
import t from 'tap'
import { request } from 'undici'
import { ManualScheduler } from '../../../src/scheduler.js'
import { instant } from '../../../src/ui/format.js'
import { buildTestApp, until } from '../../helper.js'
import { browser } from './jar.js'

t.test('the Orgs page, and the org on the device page and the overview', async (t) => {
  const scheduler = new ManualScheduler()
  const { app, auth, createKey, sim } = await buildTestApp(t, {
    scheduler,
    simulator: { devices: 6, orgDevices: 8 },
    env: { DEPGATE_MIRROR: 'true', DEPGATE_ORG_REQUEST_BUDGET: '10000' },
    orgs: { refresh: false }
  })
  await app.ready()
  const simCall = async (method: 'GET' | 'POST', path: string, body?: unknown) => {
    const res = await request(sim!.url + path, { method, headers: body === undefined ? {} : { 'content-type': 'application/json' }, body: body === undefined ? undefined : JSON.stringify(body) })
    return await res.body.json() as any
  }
  const api = async (method: 'GET' | 'PUT' | 'PATCH' | 'DELETE', url: string, payload?: object) => {
    const res = await app.inject({ method, url, headers: auth(), ...(payload === undefined ? {} : { payload }) })
    t.ok(res.statusCode < 300, `${method} ${url}: ${res.statusCode}`)
    return res.statusCode === 204 ? undefined : res.json()
  }
  const account = await simCall('POST', '/_sim/axm/keys', {})
  await api('PUT', '/v1/orgs/acme', { client_id: account.clientId, key_id: account.keyId, private_key: account.privateKey, base_url: sim!.url, token_url: `${sim!.url}/auth/oauth2/token` })
  const depId = (await simCall('GET', '/_sim/axm/servers')).depServerId as string
  await until('the DEP mirror to be ready', async () => {
    await scheduler.advance(1000)
    return (await app.mirror.status('default')).ready
  })
  const serial = (await simCall('GET', '/_sim/devices')).devices[0].serial_number as string
  const b = browser(app)
  await b.signIn(await createKey('read'))
  const panel = (body: string, org: string): string => body.split(`aria-labelledby="org-${org}"`)[1].split('</section>')[0]
  const deviceOrg = async (s: string): Promise<string> => {
    const res = await b.get(`/ui/servers/default/devices/${s}`)
    t.equal(res.statusCode, 200)
    return res.body.split('aria-labelledby="org"')[1].split('</section>')[0]
  }

  t.test('before the org\'s first refresh', async (t) => {
    const page = await b.get('/ui/orgs')
    t.equal(page.statusCode, 200, 'a read session sees it')
    t.match(page.body, /<a href="\/ui\/orgs" aria-current="page">Orgs<\/a>/)
    const acme = panel(page.body, 'acme')
    t.match(acme, `<code>${account.clientId as string}</code>`)
    t.match(acme, /<dt>Access token<\/dt><dd><span class="badge ok">valid<\/span> for \d/, 'the token PUT got to verify the account')
    t.match(acme, /first refresh running/)
    t.match(acme, /<dt>Last refresh<\/dt><dd><span class="muted">never/)
    t.match(acme, /Shown once the org mirror's first refresh has completed/)
    t.match(acme, /<dt>Linked DEP servers<\/dt><dd><span class="muted">none: link one/)
    t.notOk(page.body.includes(account.privateKey as string), 'no private key in the page')

    const overview = await b.get('/ui')
    t.notMatch(overview.body, /<dt>Org<\/dt>/, 'an unlinked server names no org')
    t.notMatch(await b.get(`/ui/servers/default/devices/${serial}`).then((r) => r.body), /aria-labelledby="org"/, 'nor do its devices')

    await api('PATCH', '/v1/servers/default', { org: 'acme', org_mdm_server: depId })
    t.match(await deviceOrg(serial), /has not completed its first refresh yet/)
  })

  t.test('after it: what the API answers', async (t) => {
    await app.orgs.refresher.tick()
    const run = app.orgs.refresher.current('acme')
    if (run !== undefined) await scheduler.settle(run)
    const org = await api('GET', '/v1/orgs/acme')
    t.equal(org.mirror.ready, true)
    const page = await b.get('/ui/orgs')
    const acme = panel(page.body, 'acme')
    t.match(acme, `<strong data-org-count="acme">${org.mirror.device_count as number}</strong> devices`)
    t.match(acme, /<dt>Last refresh<\/dt><dd>[^<]+ · <span data-since="[^"]+">[^<]+ ago/)
    t.match(acme, /<dt>Last refresh error<\/dt><dd><span class="muted">none/)
    const { mdm_servers: servers } = await api('GET', '/v1/orgs/acme/mdm-servers')
    t.ok(servers.length > 1)
    for (const s of servers) t.match(acme, `<td data-mdm-count="${s.id as string}">${s.device_count as number}</td>`, `MDM server ${s.server_name as string}: its count`)
    const row = acme.split(`<code>${depId}</code>`)[1].split('</tr>')[0]
    t.match(row, '<a href="/ui/servers/default/devices">default</a>', 'the linked DEP server in its MDM server\'s row')
    t.match(acme, new RegExp(`<li><a href="/ui/servers/default/devices">default</a> is the MDM server <strong>[^<]+</strong> <code class="muted">${depId}</code></li>`))

    const overview = await b.get('/ui')
    t.match(overview.body, '<dt>Org</dt><dd><a href="/ui/orgs#org-acme">acme</a>', 'the overview links the server\'s org')

    const joined = (await api('GET', `/v1/servers/default/devices/${serial}`)).org
    const block = await deviceOrg(serial)
    t.match(block, `<dt>Order number</dt><dd>${joined.order_number as string}</dd>`, 'the org block\'s purchase data')
    t.match(block, `<dt>Purchase source</dt><dd>${joined.purchase_source as string}`)
    t.match(block, `${joined.mdm_server.name as string} <span class="badge ok">this DEP server</span>`)
    t.match(block, /<dt>AppleCare ends<\/dt><dd><span class="muted">unknown/)

    // A live lookup stores the AppleCare end; the page shows it from then on.
    const live = await api('GET', `/v1/orgs/acme/devices/${serial}?source=apple`)
    t.type(live.device.applecare_end, 'string', 'the simulator\'s device has AppleCare coverage')
    t.match(await deviceOrg(serial), `<dt>AppleCare ends</dt><dd>${instant(live.device.applecare_end as string)}</dd>`, 'the AppleCare end after a live lookup')

    // A device added to the DEP server since the org was read: the org mirror does not hold it.
    const added = (await simCall('POST', '/_sim/devices', { count: 1 })).devices[0].serial_number as string
    await app.mirror.requestSync('default', { wait: true })
    t.match(await deviceOrg(added), `Org acme had no device with serial number ${added} at its last refresh`)
  })

  t.test('an org deleted under its link', async (t) => {
    await api('DELETE', '/v1/orgs/acme')
    t.match(await deviceOrg(serial), /linked to org acme, which is no longer configured in depgate/)
    t.match((await b.get('/ui/orgs')).body, /No org is configured/)
  })
})
