/** The device list's query values, filters as a predicate, and CSV cells: the edges the HTTP tests do not reach. */
import t from 'tap'
import { csvCell } from '../../src/api/device-csv.js'
import { deviceFilter } from '../../src/api/device-filter.js'
import { deviceListQuerySchema } from '../../src/api/devices.js'
import { deviceObject } from '../../src/api/mirror-stream.js'

t.test('assigned_after / assigned_before take real ISO 8601 dates, normalised to Apple\'s seconds', async (t) => {
  const parse = (v: string) => deviceListQuerySchema.safeParse({ assigned_after: v })
  t.equal(parse('2026-01-15').data?.assigned_after, '2026-01-15T00:00:00Z')
  t.equal(parse('2026-01-15T09:30:00.2+01:00').data?.assigned_after, '2026-01-15T08:30:01Z', 'rounded up to the second')
  for (const bad of ['yesterday', '2026-02-30', '2026-01-01T25:00Z', '2026-01-15T09:30:00']) t.equal(parse(bad).success, false, bad)
})

t.test('the predicate of the live list', async (t) => {
  const query = deviceListQuerySchema.parse({ description: 'gray', assigned_after: '2026-01-01', assigned_before: '2026-02-01', serial_prefix: 'c0' })
  const keep = deviceFilter(query) as (d: Record<string, unknown>) => boolean
  t.equal(keep({ serial_number: 'C02X', description: 'Space Gray', device_assigned_date: '2026-01-15T00:00:00Z' }), true)
  t.equal(keep({ serial_number: 'C02X', device_assigned_date: '2026-01-15T00:00:00Z' }), false, 'no description')
  t.equal(keep({ serial_number: 'C02X', description: 'gray' }), false, 'no assignment date')
  t.equal(keep({ serial_number: 'C02X', description: 'gray', device_assigned_date: '2026-02-01T00:00:00Z' }), false, 'before is exclusive')
  t.equal(keep({ serial_number: 'D02X', description: 'gray', device_assigned_date: '2026-01-15T00:00:00Z' }), false, 'prefix')
  t.equal(deviceFilter(deviceListQuerySchema.parse({})), undefined)
})

t.test('CSV cells and the mirror\'s device objects', async (t) => {
  t.equal(csvCell(undefined), '')
  t.equal(csvCell(null), '')
  t.equal(csvCell(['1', '2']), '1,2')
  t.equal(csvCell(true), 'true')
  t.equal(csvCell({ a: 1 }), '{"a":1}')
  t.same(deviceObject({ serial_number: 'C1', record: '{"serial_number":"C1"}', removed_at: '2026-01-01T00:00:00Z' }), { serial_number: 'C1', removed_at: '2026-01-01T00:00:00Z' })
  t.same(deviceObject({ serial_number: 'C1', record: '{"serial_number":"C1"}', removed_at: null }), { serial_number: 'C1' })
})
