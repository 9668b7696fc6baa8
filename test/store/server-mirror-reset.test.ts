/**
 * The servers table and the device mirror stay in step inside the store's own transactions: a
 * deleted server's mirror goes with it (not at the syncers' next look at the list), a server added
 * again under that name asks for a fetch at once, and a token of another MDM server in Apple's books
 * starts the mirror again. Real SQLite files and real PostgreSQL.
 */
import t, { type Test } from 'tap'
import { randomBytes } from 'node:crypto'
import type { DeviceRecord } from '../../src/store/index.js'
import { createSecretBox } from '../../src/tokens/secret-box.js'
import { DIALECTS, openTestStore, type TestDialect, type TestStore } from '../databases.js'

const token = { consumer_key: 'CK_1', consumer_secret: 'CS_1', access_token: 'AT_1', access_secret: 'AS_1' }
const account = (serverUuid: string) => ({ serverUuid, serverName: 'MDM', orgName: 'Org', checkedAt: '2026-11-26T08:00:00.000Z' })
const device = (serial: string): DeviceRecord => ({ serial_number: serial, model: 'Mac mini', os: 'OSX', device_family: 'Mac', profile_status: 'empty' })

for (const dialect of DIALECTS) {
  t.test(dialect, async (t) => {
    await cases(t, dialect)
  })
}

async function withMirror (t: Test, dialect: TestDialect): Promise<TestStore> {
  const store = await openTestStore(t, dialect, { now: () => new Date('2026-11-26T08:00:00.000Z'), secretBox: createSecretBox(randomBytes(32)) })
  await store.servers.upsert({ name: 'acme', token, account: account('UUID-A') })
  await store.servers.upsert({ name: 'other', token, account: account('UUID-O') })
  for (const name of ['acme', 'other']) {
    t.equal(await store.mirror.acquireLease(name, 'replica-1', 30_000), true)
    await store.mirror.applyPage(name, 'replica-1', { phase: 'fetch', sentCursor: null, devices: [device(`${name.toUpperCase()}0001`), device(`${name.toUpperCase()}0002`)], cursor: 'c1', moreToFollow: false })
  }
  return store
}

async function cases (t: Test, dialect: TestDialect): Promise<void> {
  t.test('deleting a server drops its mirror in the same transaction', async (t) => {
    const store = await withMirror(t, dialect)
    t.equal(await store.servers.delete('acme'), true)
    t.match(await store.mirror.getState('acme'), { cursor: null, device_count: 0, lease_owner: null, requested_at: null }, 'a tombstone at once')
    t.same((await store.mirror.changesSince('acme', 0, 10)).changes, [], 'its change log is gone')
    t.equal((await store.mirror.changesSince('other', 0, 10)).changes.length, 2, 'another server keeps its mirror')
    t.equal(await store.servers.delete('acme'), false, 'a second delete finds nothing')
  })

  t.test('a server added again under a deleted name asks for a full fetch', async (t) => {
    const store = await withMirror(t, dialect)
    await store.servers.delete('acme')
    const { created } = await store.servers.upsert({ name: 'acme', token, account: account('UUID-A') })
    t.equal(created, true)
    t.match(await store.mirror.getState('acme'), { requested_at: '2026-11-26T08:00:00.000Z', requested_full: 1, cursor: null })
    t.equal(await store.mirror.getState('brand-new'), undefined)
    await store.servers.upsert({ name: 'brand-new', token })
    t.equal(await store.mirror.getState('brand-new'), undefined, 'a new name has no mirror to restart')
  })

  t.test('a token of another Apple server starts the mirror again; the same server keeps it', async (t) => {
    const store = await withMirror(t, dialect)
    await store.servers.upsert({ name: 'acme', token, account: account('UUID-A') })
    t.match(await store.mirror.getState('acme'), { cursor: 'c1', device_count: 2, requested_at: null }, 'a renewed token of the same server')
    await store.servers.upsert({ name: 'acme', token })
    t.match(await store.mirror.getState('acme'), { cursor: 'c1', device_count: 2 }, 'an unchecked token says nothing about whose it is')
    await store.servers.upsert({ name: 'acme', token, account: account('UUID-A') })
    await store.servers.upsert({ name: 'acme', token, account: account('UUID-B') })
    const state = await store.mirror.getState('acme')
    t.match(state, { cursor: null, device_count: 0, lease_owner: null, requested_at: '2026-11-26T08:00:00.000Z', requested_full: 1 })
    t.same((await store.mirror.changesSince('acme', 0, 10)).changes, [], 'the old server\'s devices are gone')
    t.ok(state!.feed_floor > 0, 'and the feed goes on above the old one (an old since is refused)')
    t.equal((await store.mirror.changesSince('other', 0, 10)).changes.length, 2, 'another server keeps its mirror')
  })
}
