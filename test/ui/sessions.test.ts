/**
 * Dashboard sessions on the store (SQLite, and PostgreSQL in the postgres pass): only the cookie's
 * hash is kept, a session ends at its time, with its key, and with the bootstrap key's removal.
 */
import t from 'tap'
import { generateApiKey } from '../../src/api-key-secrets.js'
import { createUiSessions } from '../../src/ui/sessions.js'
import { openTestStore, testDialectFromEnv } from '../databases.js'

t.test('sessions follow their key and their end', async (t) => {
  let now = Date.parse('2026-12-07T10:00:00Z')
  const store = await openTestStore(t, testDialectFromEnv(), { now: () => new Date(now) })
  const adminKey = 'Zq8-vR2_pL5xN7cW1mK9tY3bH6dF4gJ0sA'
  const sessions = createUiSessions({ store, adminKey, sessionMs: 3_600_000, now: () => now })
  const withoutBootstrap = createUiSessions({ store, sessionMs: 3_600_000, now: () => now })

  const k = generateApiKey()
  await store.keys.create({ id: k.id, label: 'reports', scope: 'read', hash: k.hash })
  const unknown = `dgk_000000000000_${'x'.repeat(43)}`
  t.same(await sessions.check(unknown), { claimed: '000000000000' }, 'an unknown id')
  t.same(await sessions.check('not ours'), {}, 'neither our format nor the bootstrap key')
  t.same(await withoutBootstrap.check(adminKey), {}, 'no bootstrap key configured')
  const checked = await sessions.check(k.key)
  t.same(checked, { key: { keyId: k.id, label: 'reports', scope: 'read' }, claimed: k.id })

  const opened = await sessions.open(checked.key!)
  t.equal(opened.viewer.expiresAt, '2026-12-07T11:00:00.000Z')
  t.notMatch(opened.cookie, k.key)
  t.same(await sessions.viewer(opened.cookie), opened.viewer)
  t.equal(await sessions.viewer('made-up'), undefined)

  const boot = await sessions.open((await sessions.check(adminKey)).key!)
  t.equal(boot.viewer.scope, 'admin')
  t.equal(await withoutBootstrap.viewer(boot.cookie), undefined, 'a bootstrap session ends once DEPGATE_ADMIN_KEY is gone')

  now += 3_600_000
  t.equal(await sessions.viewer(opened.cookie), undefined, 'ended at its time')
  const again = await sessions.open(checked.key!)
  await store.keys.revoke(k.id)
  t.equal(await sessions.viewer(again.cookie), undefined, 'ended with its key')
  t.same(await sessions.check(k.key), { claimed: k.id }, 'and the key opens no new one')
  await sessions.close(again.cookie)
  t.equal(await store.uiSessions.get(again.cookie), undefined)
})
