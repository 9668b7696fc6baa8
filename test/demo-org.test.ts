/**
 * The demo's org `default` against the embedded simulator: created with a key pair the simulator
 * made, registered again at a new simulator (a restart: new port, accounts forgotten) with the
 * same account and mirror; an admin's own org `default` left alone; a simulator that refuses said so.
 */
import { randomBytes } from 'node:crypto'
import t from 'tap'
import { setUpDemoOrg } from '../src/demo-org.js'
import { defaultOrgClientFactory } from '../src/orgs/registry.js'
import { startSimulator } from '../src/simulator/index.js'
import type { OrgRecord } from '../src/store/index.js'
import { createSecretBox } from '../src/tokens/secret-box.js'
import { openTestStore, testDialectFromEnv } from './databases.js'

t.test('org default at the embedded simulator, across restarts', async (t) => {
  const store = await openTestStore(t, testDialectFromEnv(), { secretBox: createSecretBox(randomBytes(32)) })
  const first = await startSimulator({ devices: 2, orgDevices: 2 })
  t.teardown(() => first.close())
  const second = await startSimulator({ devices: 2, orgDevices: 2 })
  t.teardown(() => second.close())
  const depId = ((await (await fetch(`${first.url}/_sim/axm/servers`)).json()) as { depServerId: string }).depServerId

  await store.orgs.upsert('default', { clientId: 'BUSINESSAPI.admin', keyId: 'k', privateKeyPem: 'an admin\'s key', scope: 'business.api' })
  t.equal(await setUpDemoOrg(store, first.url), undefined, 'an admin\'s org default (at Apple) is left alone')
  t.equal((await store.orgs.info('default'))?.clientId, 'BUSINESSAPI.admin')
  await store.orgs.delete('default')

  await t.rejects(setUpDemoOrg(store, `${first.url}/nope`), /the embedded simulator answered 404 to POST/)
  t.same(await setUpDemoOrg(store, first.url), { org: 'default', mdmServer: depId, created: true })
  const made = await store.orgs.get('default') as OrgRecord
  t.match(made, { clientId: /^BUSINESSAPI\./, baseUrl: first.url, tokenUrl: `${first.url}/auth/oauth2/token`, scope: 'business.api' })
  t.match(await store.audit.list({ action: 'org.put' }), [{ action: 'org.put', target: '/v1/orgs/default', keyId: null }])
  t.ok((await store.orgMirror.getState('default'))?.requested_at, 'a refresh is asked for')

  t.same(await setUpDemoOrg(store, second.url), { org: 'default', mdmServer: depId, created: false }, 'the same MDM server id: the simulator\'s seed')
  const again = await store.orgs.get('default') as OrgRecord
  t.match(again, { clientId: made.clientId, keyId: made.keyId, privateKeyPem: made.privateKeyPem, baseUrl: second.url })
  const client = defaultOrgClientFactory(again)
  t.teardown(() => client.close())
  await client.verify()
  t.pass('the stored account gets a token from the new simulator')
})
