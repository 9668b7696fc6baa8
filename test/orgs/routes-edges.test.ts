/**
 * The org routes' edges over real HTTP against the simulator: an account stored without its own
 * Apple URLs (the client's defaults apply), a device list longer than one database batch streamed
 * whole as NDJSON and CSV, Apple failing half-way through a live device read (its Retry-After
 * holding the org's budget), and the org's client rebuilt when another replica replaced the account behind this one's back.
 */
import t from 'tap'
import { request } from 'undici'
import { AxmError } from '../../src/axm/index.js'
import { defaultOrgClientFactory } from '../../src/orgs/registry.js'
import type { OrgClient } from '../../src/orgs/types.js'
import { ManualScheduler } from '../../src/scheduler.js'
import { httpCaller } from './http-call.js'
import { buildTestApp } from '../helper.js'

interface Account { clientId: string, keyId: string, privateKey: string }

/** The DEP server's 20 devices and 1,000 more: past one 1,000-device batch of the streamed list. */
const TOTAL = 1020

t.test('orgs: defaults, long streams, Apple failing mid-read, replaced elsewhere', async (t) => {
  const scheduler = new ManualScheduler()
  let failAppleCare = false
  const built: OrgClient[] = []
  let simUrl = ''
  const ctx = await buildTestApp(t, {
    scheduler,
    simulator: { orgDevices: TOTAL - 20 },
    env: { DEPGATE_ORG_REQUEST_BUDGET: '10000' },
    orgs: {
      refresh: false,
      // The stored account names no URLs: the client's own options point it at the simulator.
      clientFactory: (o) => {
        const client = defaultOrgClientFactory(o, { baseUrl: simUrl, tokenUrl: `${simUrl}/auth/oauth2/token` })
        built.push(client)
        const coverage = client.getAppleCareCoverage.bind(client)
        client.getAppleCareCoverage = async (serial) => {
          if (failAppleCare) throw new AxmError('throttled', { code: 'THROTTLED', endpoint: 'applecare', status: 429, retryAfterSeconds: 7 })
          return await coverage(serial)
        }
        return client
      }
    }
  })
  const url = await ctx.app.listen({ host: '127.0.0.1', port: 0 })
  simUrl = ctx.sim!.url
  const call = httpCaller(url, ctx.auth)
  const keyRes = await request(`${simUrl}/_sim/axm/keys`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{}' })
  const account = await keyRes.body.json() as Account
  const body = { client_id: account.clientId, key_id: account.keyId, private_key: account.privateKey }

  const created = await call('PUT', '/v1/orgs/acme', body)
  t.equal(created.status, 201)
  t.match(created.json, { base_url: null, token_url: null, mirror: { ready: false, device_count: 0, last_seq: 0, last_refresh_at: null, last_error: null } })

  await ctx.app.orgs.refresher.tick()
  const run = ctx.app.orgs.refresher.current('acme')
  if (run !== undefined) await scheduler.settle(run)
  t.match((await call('GET', '/v1/orgs/acme')).json, { mirror: { ready: true, device_count: TOTAL } })

  const nd = await call('GET', '/v1/orgs/acme/devices', undefined, { accept: 'application/x-ndjson' })
  const lines = nd.text.trim().split('\n').map((l) => JSON.parse(l))
  t.equal(lines.length, TOTAL + 1, 'every device streamed, across batches')
  t.equal(new Set(lines.slice(0, TOTAL).map((d) => d.serial_number)).size, TOTAL, 'no device twice at the batch seam')
  t.match(lines[TOTAL], { count: TOTAL })
  const csv = await call('GET', '/v1/orgs/acme/devices?format=csv')
  t.equal(csv.text.trim().split('\r\n').length, 1 + TOTAL)

  const serial = lines[0].serial_number as string
  failAppleCare = true
  t.match(await call('GET', `/v1/orgs/acme/devices/${serial}?source=apple`), { status: 429, json: { code: 'UPSTREAM_THROTTLED' }, headers: { 'retry-after': '7' } }, 'Apple failing after the device was read')
  failAppleCare = false
  t.match(await call('GET', `/v1/orgs/acme/devices/${serial}?source=apple`), { status: 429, json: { code: 'ORG_REQUEST_BUDGET_EXHAUSTED' }, headers: { 'retry-after': '7' } }, 'Apple\'s Retry-After holds the org\'s budget: Apple is not asked meanwhile')
  await scheduler.advance(7000)

  // Another replica replaces the account: this one's cached client is stale, rebuilt and the old one closed.
  const before = built.length
  await scheduler.advance(1000)
  const stored = (await ctx.app.store.orgs.get('acme'))!
  await ctx.app.store.orgs.upsert('acme', stored)
  const old = built[before - 1]
  let closed = false
  const close = old.close.bind(old)
  old.close = async () => { closed = true; await close() }
  t.match(await call('GET', `/v1/orgs/acme/devices/${serial}?source=apple`), { status: 200, json: { source: 'apple', device: { serial_number: serial } } })
  t.equal(built.length, before + 1, 'a new client for the replaced account')
  t.ok(closed, 'the stale client is closed')

  // A device Apple has and the mirror has not read yet: answered live, dated now.
  const addRes = await request(`${simUrl}/_sim/axm/devices`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{"count":1}' })
  const added = (await addRes.body.json() as { devices: Array<{ serialNumber: string, mdmServer: string | null }> }).devices[0]
  const fresh = await call('GET', `/v1/orgs/acme/devices/${added.serialNumber}?source=apple`)
  t.match(fresh, { status: 200, json: { source: 'apple', device: { serial_number: added.serialNumber, removed_at: null, first_seen_at: String } } })

  // Another replica stored an account and has not yet asked for its first refresh: no mirror state at all.
  await ctx.app.store.orgs.upsert('beta', stored)
  t.match((await call('GET', '/v1/orgs/beta')).json, { name: 'beta', mirror: { ready: false, device_count: 0, last_seq: 0, last_error: null } })
})
