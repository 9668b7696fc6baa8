/**
 * depgate's own writes reflected in the mirror, on both dialects: present devices change with a
 * change-log entry each and the feed's numbering goes on from the syncer's; a write that changes
 * nothing, an unknown or removed serial, or a server without a mirror yet write nothing; a removal
 * lowers the device count; and the next sync page, carrying Apple's op_date, wins.
 */
import { Kysely } from 'kysely'
import t from 'tap'
import { DIALECTS, openTestStore } from '../databases.js'
import { createDialect } from '../../src/store/dialect.js'
import type { DeviceRecord } from '../../src/store/index.js'
import type { Database } from '../../src/store/schema.js'

const device = (serial: string, extra: Record<string, unknown> = {}): DeviceRecord => ({ serial_number: serial, model: 'Mac mini', os: 'OSX', device_family: 'Mac', profile_status: 'empty', ...extra })

for (const dialect of DIALECTS) {
  t.test(dialect, async (t) => {
    const store = await openTestStore(t, dialect, { now: () => new Date('2026-11-25T10:00:00Z') })
    const mirror = store.mirror
    const db = new Kysely<Database>({ dialect: createDialect(store.database).dialect })
    t.teardown(() => db.destroy())
    const changes = async () => await db.selectFrom('inventory_changes').select(['seq', 'serial_number', 'op']).where('server', '=', 'default').orderBy('seq').execute()

    t.same(await mirror.applyOwnWrites('default', [{ serial: 'AAAA0001', removed: true }]), { changed: 0, lastSeq: 0 }, 'no mirror yet: nothing to show')

    t.ok(await mirror.acquireLease('default', 'me', 30_000))
    await mirror.startFullFetch('default', 'me')
    await mirror.applyPage('default', 'me', {
      phase: 'fetch',
      sentCursor: null,
      cursor: 'c1',
      moreToFollow: false,
      devices: [device('AAAA0001', { op_date: '2026-11-20T00:00:00Z', profile_uuid: 'OLD' }), device('AAAA0002'), device('AAAA0003')]
    })
    t.equal((await mirror.getState('default'))?.last_seq, 3)

    const result = await mirror.applyOwnWrites('default', [
      { serial: 'AAAA0001', set: { profile_uuid: 'P1', profile_status: 'assigned', profile_assign_time: '2026-11-25T10:00:00Z', profile_push_time: null } },
      { serial: 'AAAA0002', set: { profile_status: 'empty' } },
      { serial: 'AAAA0003', removed: true },
      { serial: 'NOTINMIRROR', removed: true }
    ])
    t.same(result, { changed: 2, lastSeq: 5 }, 'an unchanged device and an unknown serial write nothing')
    t.same(await changes(), [
      { seq: 1, serial_number: 'AAAA0001', op: 'added' },
      { seq: 2, serial_number: 'AAAA0002', op: 'added' },
      { seq: 3, serial_number: 'AAAA0003', op: 'added' },
      { seq: 4, serial_number: 'AAAA0001', op: 'modified' },
      { seq: 5, serial_number: 'AAAA0003', op: 'removed' }
    ])
    const record = async (serial: string) => JSON.parse((await mirror.getDevice('default', serial))?.device?.record ?? 'null') as Record<string, unknown>
    const one = await record('AAAA0001')
    t.match(one, { serial_number: 'AAAA0001', profile_uuid: 'P1', profile_status: 'assigned' })
    t.notOk('profile_push_time' in one, 'null removes a field')
    t.match(await mirror.listDevices('default', { filters: { profile_status: ['assigned'] }, limit: 10 }), { devices: [{ serial_number: 'AAAA0001' }] }, 'the filter columns follow')
    t.equal((await mirror.getState('default'))?.device_count, 2, 'a removal lowers the count')
    t.same(await mirror.applyOwnWrites('default', [{ serial: 'AAAA0003', removed: true }]), { changed: 0, lastSeq: 5 }, 'already removed')

    // Apple's next record (a later op_date than the one the own write kept) wins.
    await mirror.applyPage('default', 'me', { phase: 'sync', sentCursor: 'c1', cursor: 'c2', moreToFollow: false, devices: [device('AAAA0001', { op_type: 'modified', op_date: '2026-11-21T00:00:00Z', profile_uuid: 'APPLE', profile_status: 'pushed' })] })
    t.match(await record('AAAA0001'), { profile_uuid: 'APPLE', profile_status: 'pushed' })
  })
}
