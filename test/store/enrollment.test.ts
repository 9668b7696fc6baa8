/**
 * The enrollment repository on both dialects: named profiles and their history, rule lists
 * replaced only from the revision the caller read, and the rule/profile link kept whole when a
 * rule write and a profile deletion race (two stores on one database: two replicas).
 */
import { randomBytes } from 'node:crypto'
import t, { type Test } from 'tap'
import { createSecretBox } from '../../src/tokens/secret-box.js'
import { DIALECTS, openTestStore, type TestDialect } from '../databases.js'

for (const dialect of DIALECTS) {
  t.test(dialect, async (t) => { await cases(t, dialect) })
}

const put = (hash: string, uuid: string) => ({ profile: JSON.stringify({ h: hash }), contentHash: hash, profileUuid: uuid })
const rule = (name: string, profile: string) => ({ name, profile, match: {} })

async function cases (t: Test, dialect: TestDialect): Promise<void> {
  let clock = Date.parse('2026-12-01T00:00:00Z')
  const store = await openTestStore(t, dialect, { now: () => new Date(clock), secretBox: createSecretBox(randomBytes(32)) })
  const e = store.enrollment

  t.test('profiles: created, changed, history newest first, per server', async (t) => {
    const first = await e.putProfile('a', 'staff', put('h1', 'U1'), { keyId: 'k', action: 'enrollment_profile.put', target: '/v1/servers/a/enrollment-profiles/staff', result: 'ok' })
    t.equal(first.created, true)
    t.match(first.record, { name: 'staff', profile: { h: 'h1' }, contentHash: 'h1', profileUuid: 'U1', definedAt: '2026-12-01T00:00:00.000Z', createdAt: '2026-12-01T00:00:00.000Z' })
    clock += 60_000
    const second = await e.putProfile('a', 'staff', put('h2', 'U2'))
    t.equal(second.created, false)
    t.match(second.record, { profileUuid: 'U2', createdAt: '2026-12-01T00:00:00.000Z', definedAt: '2026-12-01T00:01:00.000Z' })
    t.same(second.record.history.map((v) => v.profileUuid), ['U2', 'U1'])
    await e.putProfile('b', 'staff', put('h9', 'U9'))
    await e.putProfile('a', 'lab', put('h3', 'U3'))
    t.same((await e.listProfiles('a')).map((p) => [p.name, p.profileUuid, p.history.length]), [['lab', 'U3', 1], ['staff', 'U2', 2]])
    t.equal(await e.getProfile('a', 'nope'), undefined)
    t.match((await store.audit.list({ limit: 10 })).filter((x) => x.action === 'enrollment_profile.put'), [{ server: 'a', result: 'ok' }])
  })

  t.test('rules: revision checks, missing profiles by index, deletion while named', async (t) => {
    t.same(await e.getRules('a'), { rules: [], revision: 0, updatedAt: null })
    const missing = await e.putRules('a', [rule('one', 'staff'), rule('two', 'ghost'), rule('three', 'ghost')], 'empty')
    t.same(missing, { ok: false, missing: [{ index: 1, profile: 'ghost' }, { index: 2, profile: 'ghost' }] })
    t.same(await e.getRules('a'), { rules: [], revision: 0, updatedAt: null }, 'nothing written')

    const written = await e.putRules('a', [rule('one', 'staff'), rule('two', 'staff')], 'empty', { keyId: 'k', action: 'assignment_rules.put', target: '/v1/servers/a/assignment-rules', result: 'ok' })
    t.same(written, { ok: true, revision: 1, updatedAt: new Date(clock).toISOString() })
    const stale = await e.putRules('a', [rule('x', 'lab')], 'empty')
    t.match(stale, { ok: false, conflict: { revision: 1, rules: [{ name: 'one' }, { name: 'two' }] } }, 'not empty any more')
    t.match(await e.putRules('a', [rule('x', 'lab')], 0), { ok: false, conflict: { revision: 1 } })
    t.match(await e.putRules('a', [rule('x', 'lab')], 1), { ok: true, revision: 2 })
    t.same(await e.deleteProfile('a', 'lab'), { usedBy: ['x'] })
    t.ok(await e.getProfile('a', 'lab'), 'a profile a rule names stays')
    t.equal(await e.deleteProfile('a', 'nope'), 'not_found')
    t.match(await e.putRules('a', [], 2), { ok: true, revision: 3 })
    t.match(await e.putRules('a', [rule('y', 'staff')], 'empty'), { ok: true, revision: 4 }, 'an emptied list takes a write without a revision')
    t.equal(await e.deleteProfile('a', 'lab', { keyId: 'k', action: 'enrollment_profile.delete', target: '/v1/servers/a/enrollment-profiles/lab', result: 'ok' }), 'deleted')
    t.equal(await e.getProfile('a', 'lab'), undefined)
    await e.putProfile('a', 'lab', put('h3', 'U3'))
    t.equal((await e.getProfile('a', 'lab'))?.history.length, 1, 'the name starts a new history')
  })

  t.test('deleting a server takes its named profiles and rules', async (t) => {
    await store.servers.upsert({ name: 'gone', token: { consumer_key: 'CK', consumer_secret: 'CS', access_token: 'AT', access_secret: 'AS' } })
    await e.putProfile('gone', 'p', put('g1', 'G1'))
    await e.putProfile('gone', 'p', put('g2', 'G2'))
    t.match(await e.putRules('gone', [rule('r', 'p')], 'empty'), { ok: true })
    await e.putProfile('kept', 'p', put('k1', 'K1'))
    t.equal(await store.servers.delete('gone'), true)
    t.same(await e.listProfiles('gone'), [])
    t.same(await e.getRules('gone'), { rules: [], revision: 0, updatedAt: null })
    t.equal((await e.listProfiles('kept')).length, 1, 'other servers keep theirs')
  })

  t.test('a failing transaction fails the call', async (t) => {
    const closed = await openTestStore(t, dialect, { database: store.database })
    await closed.close()
    await t.rejects(closed.enrollment.deleteProfile('a', 'staff'))
    await t.rejects(closed.enrollment.putRules('a', [], 'empty'))
  })

  // SQLite runs one writer at a time; two stores in one process would wait on each other's lock
  // with the event loop blocked (busy_timeout), which two processes do not.
  const race = { skip: dialect === 'sqlite' ? 'SQLite serialises writers; two stores in one process cannot interleave' : false }
  t.test('two replicas racing: one rule write per revision; a rule never names a deleted profile', race, async (t) => {
    const other = await openTestStore(t, dialect, { database: store.database, now: () => new Date(clock) })
    const { revision } = await e.getRules('race')
    const [x, y] = await Promise.all([
      e.putRules('race', [], revision === 0 ? 'empty' : revision),
      other.enrollment.putRules('race', [], revision === 0 ? 'empty' : revision)
    ])
    t.equal([x, y].filter((w) => w.ok).length, 2, 'both saw an empty list: an empty list takes writes without a revision')
    const now = (await e.getRules('race')).revision
    const [p, q] = await Promise.all([e.putRules('race', [], now), other.enrollment.putRules('race', [], now)])
    t.equal([p, q].filter((w) => w.ok).length, 1, 'of two writes from one revision, one wins')

    const [c1, c2] = await Promise.all([e.putProfile('race', 'both', put('b1', 'B1')), other.enrollment.putProfile('race', 'both', put('b2', 'B2'))])
    t.same([c1.created, c2.created].sort(), [false, true], 'two replicas creating one name: one creates, the other changes it')
    t.equal((await e.getProfile('race', 'both'))?.history.length, 2)

    for (let i = 0; i < 10; i++) {
      const name = `p${i}`
      await e.putProfile('race', name, put(`h${i}`, `R${i}`))
      const current = (await e.getRules('race')).revision
      const [rules, deletion] = await Promise.all([
        e.putRules('race', [rule('r', name)], current),
        other.enrollment.deleteProfile('race', name)
      ])
      const stored = await e.getRules('race')
      const exists = await e.getProfile('race', name) !== undefined
      t.not(rules.ok && deletion === 'deleted', true, `round ${i}: not both`)
      if (stored.rules.length > 0) t.ok(exists, `round ${i}: the named profile exists`)
      if (rules.ok) await e.putRules('race', [], stored.revision)
    }
  })
}
