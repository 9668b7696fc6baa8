import t from 'tap'
import { canonicalJson, diffPage, latestPerSerial, type ExistingDevice } from '../../src/store/mirror-diff.js'

const row = (serial: string, record: object, extra: Partial<ExistingDevice> = {}): [string, ExistingDevice] =>
  [serial, { serial_number: serial, record: canonicalJson({ serial_number: serial, ...record }), removed_at: null, op_date: null, ...extra }]

t.test('a repeated serial: the latest op_date wins; without dates the later record does', async (t) => {
  t.same(latestPerSerial([
    { serial_number: 'A', op_date: '2026-01-02T00:00:00Z', color: 'new' },
    { serial_number: 'A', op_date: '2026-01-01T00:00:00Z', color: 'old' },
    { serial_number: 'B', color: 'first' },
    { serial_number: 'B', color: 'second' }
  ]).map((d) => d.color), ['new', 'second'])
})

t.test('records are stored with sorted keys, so the order Apple sends them in is no change', async (t) => {
  t.equal(canonicalJson({ b: 1, a: 2 }), '{"a":2,"b":1}')
  const existing = new Map([row('A', { model: 'Mac', os: 'OSX' })])
  t.same(diffPage('fetch', [{ os: 'OSX', model: 'Mac', serial_number: 'A' }], existing), { changes: [], unchanged: ['A'] })
})

t.test('sync rules', async (t) => {
  const existing = new Map([
    row('A', { model: 'Mac' }, { op_date: '2026-01-05T00:00:00Z' }),
    row('R', { model: 'iPad' }, { removed_at: '2026-01-01T00:00:00Z' })
  ])
  const plan = diffPage('sync', [
    { serial_number: 'A', op_type: 'modified', op_date: '2026-01-04T00:00:00Z', model: 'stale' },
    { serial_number: 'R', op_type: 'modified', model: 'iPad Pro' },
    { serial_number: 'N', op_type: 'deleted' },
    { serial_number: 'R', op_type: 'deleted', op_date: '2026-01-06T00:00:00Z' }
  ], existing)
  t.same(plan.changes.map((c) => [c.serial, c.op]), [], 'stale, removed-then-deleted and unknown deletions change nothing')
  const again = diffPage('sync', [
    { serial_number: 'R', op_type: 'modified', model: 'iPad Pro' },
    { serial_number: 'A', op_type: 'deleted' }
  ], existing)
  t.same(again.changes.map((c) => [c.serial, c.op, c.opDate]), [['R', 'added', null], ['A', 'removed', null]], 'a removed device coming back is added; a deletion without a date still removes')
  t.same(again.changes[1]!.fields, { model: 'Mac', os: null, device_family: null, profile_status: null, profile_uuid: null, device_assigned_date: null, asset_tag: null, color: null, description: null, device_assigned_by: null })
})
