/**
 * Organisations and the org mirror on both dialects: the API account stored with its key
 * sealed (never in clear in the database; a store without a secret box refuses it), replaced and deleted with its mirror; refresh
 * walks fenced by the lease, a stale walk refused, unseen devices removed only by a completed
 * walk, filters, paging, counts per MDM server and the change feed; key rotation re-seals orgs.
 */
import { randomBytes } from 'node:crypto'
import t, { type Test } from 'tap'
import { createSecretBox } from '../../src/tokens/secret-box.js'
import { LeaseLostError } from '../../src/store/index.js'
import { Kysely } from 'kysely'
import { createDialect } from '../../src/store/dialect.js'
import { DIALECTS, openTestStore, type TestDialect, type TestStore } from '../databases.js'

for (const dialect of DIALECTS) {
  t.test(dialect, async (t) => { await cases(t, dialect) })
}

const PEM = '-----BEGIN PRIVATE KEY-----\nSECRETKEYBODYxxxxxxxxxxxxxxxxxxxxxxxx\n-----END PRIVATE KEY-----\n'
const account = { clientId: 'BUSINESSAPI.1234', keyId: 'k-1', privateKeyPem: PEM, scope: 'business.api' }
const dev = (serial: string, mdmServer: string | null, extra: Record<string, unknown> = {}) => ({
  serial,
  mdmServer,
  attributes: { serialNumber: serial, status: mdmServer === null ? 'UNASSIGNED' : 'ASSIGNED', productFamily: 'Mac', orderNumber: 'O1', purchaseSourceType: 'APPLE', ...extra }
})

async function cases (t: Test, dialect: TestDialect): Promise<void> {
  let clock = Date.parse('2026-12-01T00:00:00Z')
  const box = createSecretBox(randomBytes(32))
  const store = await openTestStore(t, dialect, { now: () => new Date(clock), secretBox: box })

  t.test('accounts: sealed, replaced, listed without secrets, deleted', async (t) => {
    const first = await store.orgs.upsert('acme', { ...account, baseUrl: 'http://127.0.0.1:1', tokenUrl: 'http://127.0.0.1:1/t' }, (created) => ({ keyId: 'k', action: 'org.put', target: '/v1/orgs/acme', result: 'ok', detail: created ? 'created' : 'replaced' }))
    t.equal(first.created, true)
    t.match(first.info, { name: 'acme', clientId: 'BUSINESSAPI.1234', scope: 'business.api', baseUrl: 'http://127.0.0.1:1', tokenUrl: 'http://127.0.0.1:1/t' })
    t.notOk('privateKeyPem' in first.info)
    t.equal((await store.orgs.get('acme'))?.privateKeyPem, PEM)
    await store.orgs.recordToken('acme', '2026-12-01T01:00:00.000Z')
    t.match(await store.orgs.info('acme'), { tokenExpiresAt: '2026-12-01T01:00:00.000Z', tokenCheckedAt: '2026-12-01T00:00:00.000Z' })
    await store.orgs.setError('acme', { code: 'ORG_CREDENTIALS_REJECTED', at: '2026-12-01T00:00:00.000Z' })
    t.match(await store.orgs.info('acme'), { lastError: { code: 'ORG_CREDENTIALS_REJECTED' } })
    await store.orgs.setError('acme', null)
    t.equal((await store.orgs.info('acme'))?.lastError, undefined)

    const dump = JSON.stringify(await adminRows(store))
    t.notOk(dump.includes('SECRETKEYBODY'), 'the private key is not in clear')

    clock += 1000
    const second = await store.orgs.upsert('acme', { ...account, keyId: 'k-2' })
    t.equal(second.created, false)
    t.match(second.info, { keyId: 'k-2', createdAt: '2026-12-01T00:00:00.000Z', updatedAt: '2026-12-01T00:00:01.000Z' })
    t.equal(second.info.baseUrl, undefined)
    t.equal((await store.orgs.info('acme'))?.tokenExpiresAt, undefined, 'a replaced account forgets the old token state')
    await store.orgs.upsert('beta', account)
    t.same((await store.orgs.list()).map((o) => o.name), ['acme', 'beta'])
    t.equal(await store.orgs.info('nope'), undefined)
    t.equal(await store.orgs.get('nope'), undefined)
    t.equal(await store.orgs.delete('beta', { keyId: 'k', action: 'org.delete', target: '/v1/orgs/beta', result: 'ok' }), true)
    t.equal(await store.orgs.delete('beta'), false)
    t.match((await store.audit.list({ limit: 10 })).map((a) => a.action).sort(), ['org.delete', 'org.put'])
  })

  t.test('a store opened without a secret box neither seals nor opens org keys', async (t) => {
    await store.orgs.upsert('sealed', account)
    const bare = await openTestStore(t, dialect, { database: store.database, now: () => new Date(clock) })
    t.match(await bare.orgs.info('sealed'), { name: 'sealed', clientId: account.clientId }, 'what is not secret reads')
    await t.rejects(bare.orgs.get('sealed'), /secret box is not configured/)
    await t.rejects(bare.orgs.upsert('other', account), /secret box is not configured/)
    t.equal(await bare.orgs.info('other'), undefined, 'nothing stored')
    await store.orgs.delete('sealed')
  })

  t.test('refresh: lease, generations, changes, removal by a completed walk only', async (t) => {
    const m = store.orgMirror
    t.equal(await m.getState('acme'), undefined)
    t.equal(await m.acquireLease('acme', 'r1', 60_000), true)
    t.equal(await m.acquireLease('acme', 'r2', 60_000), false, 'held by r1')
    t.equal(await m.renewLease('acme', 'r2', 60_000), false)
    t.equal(await m.renewLease('acme', 'r1', 60_000), true)
    const g1 = await m.startRefresh('acme', 'r1')
    t.equal(g1, 1)
    t.match(await m.applyDevices('acme', 'r1', g1, [dev('C02AAA', 'S1'), dev('C02AAB', 'S1'), dev('F9ZZZ', null, { productFamily: 'iPad', purchaseSourceType: 'RESELLER', orderNumber: 'O2' })]), { added: 3, modified: 0, lastSeq: 3 })
    t.match(await m.finishRefresh('acme', 'r1', g1, [{ id: 'S1', attributes: { serverName: 'Paris', serverType: 'MDM' } }, { id: 'S2', attributes: { serverName: 'Lyon' } }]), { removed: 0, lastSeq: 3 })
    t.match(await m.getState('acme'), { generation: 1, last_seq: 3, device_count: 3, last_refresh_at: '2026-12-01T00:00:01.000Z' })

    // A walk killed after one page: what it wrote stays; the next walk removes nothing it did not see complete.
    clock += 1000
    const g2 = await m.startRefresh('acme', 'r1')
    t.match(await m.applyDevices('acme', 'r1', g2, [dev('C02AAA', 'S2'), dev('C02AAB', 'S1')]), { added: 0, modified: 1, lastSeq: 4 })
    const g3 = await m.startRefresh('acme', 'r1')
    await t.rejects(m.applyDevices('acme', 'r1', g2, [dev('C02AAA', 'S1')]), LeaseLostError, 'a page of the older walk is stale')
    await t.rejects(m.finishRefresh('acme', 'r1', g2, []), LeaseLostError)
    t.match(await m.applyDevices('acme', 'r1', g3, [dev('C02AAA', 'S2'), dev('C02AAB', 'S1'), dev('NEW1', 'S2')]), { added: 1, modified: 0 })
    t.match(await m.finishRefresh('acme', 'r1', g3, [{ id: 'S1', attributes: {} }, { id: 'S2', attributes: {} }, { id: 'S3', attributes: {} }]), { removed: 1, lastSeq: 6 })
    t.match(await m.getState('acme'), { device_count: 3 })

    await m.recordError('acme', 'r1', { code: 'APPLE_RATE_LIMITED', message: 'slow down' })
    t.match(await m.getState('acme'), { last_error_code: 'APPLE_RATE_LIMITED' })
    await m.releaseLease('acme', 'r1')
    await t.rejects(m.startRefresh('acme', 'r1'), LeaseLostError, 'no write without the lease')
    t.equal(await m.acquireLease('acme', 'r2', 60_000), true)
    await m.requestRefresh('acme')
    t.match(await m.getState('acme'), { requested_at: '2026-12-01T00:00:02.000Z' })

    // Reads.
    const all = await m.listDevices('acme', {}, { limit: 2 })
    t.same(all.devices.map((d) => d.serial_number), ['C02AAA', 'C02AAB'])
    t.equal(all.next, 'C02AAB')
    t.same((await m.listDevices('acme', {}, { limit: 2, after: all.next })).devices.map((d) => d.serial_number), ['NEW1'])
    t.equal(await m.countDevices('acme', {}), 3)
    t.equal(await m.countDevices('acme', { mdm_server: ['s2'] }), 2, 'values compare case-insensitively')
    t.equal(await m.countDevices('acme', { serial_prefix: ['c02'] }), 2)
    t.equal(await m.countDevices('acme', { status: ['assigned'], product_family: ['MAC'], order_number: ['o1'], purchase_source: ['apple'] }), 3)
    t.match(await m.getDevice('acme', 'F9ZZZ'), { removed_at: '2026-12-01T00:00:02.000Z', attributes: { productFamily: 'iPad' } })
    t.equal(await m.getDevice('acme', 'NOPE'), undefined)
    await m.setAppleCareEnd('acme', 'NEW1', '2029-01-01T00:00:00Z')
    t.match(await m.getDevice('acme', 'NEW1'), { applecare_end: '2029-01-01T00:00:00Z', mdm_server: 'S2' })
    t.match(await m.mdmServers('acme'), [{ id: 'S1', device_count: 1 }, { id: 'S2', device_count: 2 }, { id: 'S3', device_count: 0 }])
    const feed = await m.changes('acme', 3, 10)
    t.same(feed.map((c) => [c.seq, c.op, c.serial_number]), [[4, 'modified', 'C02AAA'], [5, 'added', 'NEW1'], [6, 'removed', 'F9ZZZ']])
    t.match(feed[0].record, { mdm_server: 'S2', attributes: { serialNumber: 'C02AAA' } })

    t.same((await m.changesSince('acme', 5, 10)).changes.map((c) => [c.seq, c.op, JSON.parse(c.record).mdm_server]), [[6, 'removed', null]], 'the feed page: records as stored text')
    t.match(await m.changesSince('acme', 0, 2), { last_seq: 6, feed_floor: 0, drop_floor: 0 })
    t.match(await m.changesSince('acme', Number.MAX_SAFE_INTEGER, 2), { changes: [], last_seq: 6 }, 'a since past any seq: no change (PostgreSQL\'s integer column refuses the number itself)')
    t.same(await m.changesSince('nobody', 0, 10), { changes: [], last_seq: 0, feed_floor: 0, drop_floor: 0 }, 'an org without mirror state')
    // The DEP device view's join (org-join.ts): the device with its MDM server's name, the mirror's last refresh.
    t.match(await m.joinDevice('acme', 'NEW1'), { refreshedAt: String, device: { mdm_server: 'S2', applecare_end: '2029-01-01T00:00:00Z', attributes: { serialNumber: 'NEW1' } } })
    t.same(await m.joinDevice('acme', 'NOPE'), { refreshedAt: (await m.getState('acme'))?.last_refresh_at }, 'a serial the mirror does not hold: no device')
    t.equal(await m.joinDevice('nobody', 'NEW1'), undefined, 'an org without mirror state')

    t.equal(await store.orgs.delete('acme'), true)
    // The state row stays as a tombstone: the feed of the org added again goes on above 7.
    t.match(await m.getState('acme'), { last_seq: 7, drop_floor: 7, device_count: 0, last_refresh_at: null, requested_at: null, lease_owner: null, last_error_code: null })
    t.same(await m.changesSince('acme', 0, 10), { changes: [], last_seq: 7, feed_floor: 7, drop_floor: 7 })
    t.equal(await m.countDevices('acme', {}), 0)
    t.same(await m.mdmServers('acme'), [])
    await store.orgs.upsert('acme', account)
    t.equal(await store.orgs.delete('acme'), true)
    t.match(await m.getState('acme'), { last_seq: 7, drop_floor: 7 }, 'a feed with nothing since its floor keeps it')
  })

  t.test('rotation re-seals the org key; the key check proves a key on orgs alone', async (t) => {
    const s2 = await openTestStore(t, dialect, { secretBox: box })
    await s2.orgs.upsert('solo', account)
    t.equal(await s2.servers.checkSecretKey(createSecretBox(randomBytes(32))), 'mismatched', 'an org key proves which key the database has')
    const next = createSecretBox(randomBytes(32))
    t.equal(await s2.servers.rotateSecrets(box, next), 1)
    const reopened = await openTestStore(t, dialect, { secretBox: next, database: s2.database })
    t.equal((await reopened.orgs.get('solo'))?.privateKeyPem, PEM)
  })
}

/** The orgs table's raw rows, as a backup or a look at the database shows them. */
async function adminRows (store: TestStore): Promise<unknown> {
  const { database } = store
  const raw = new Kysely<any>({ dialect: createDialect('dataDir' in database ? { dataDir: database.dataDir } : { databaseUrl: database.databaseUrl }).dialect })
  try {
    return await raw.selectFrom('orgs').selectAll().execute()
  } finally {
    await raw.destroy()
  }
}
