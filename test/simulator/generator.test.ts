import t from 'tap'
import { DeviceGenerator } from '../../src/simulator/generator.js'
import { SERIAL_ALPHABET } from '../../src/simulator/catalogue.js'
import { Prng } from '../../src/simulator/prng.js'
import { World } from '../../src/simulator/world.js'
import { SimClock, isoSeconds } from '../../src/simulator/clock.js'

t.test('mulberry32 is deterministic', async (t) => {
  const a = new Prng(42)
  const b = new Prng(42)
  const xs = Array.from({ length: 5 }, () => a.next())
  t.same(xs, Array.from({ length: 5 }, () => b.next()))
  t.ok(xs.every((x) => x >= 0 && x < 1))
  t.not(new Prng(43).next(), xs[0])
})

t.test('the same seed gives the same world; another seed another one', async (t) => {
  const one = new World(7, 300).list()
  t.same(new World(7, 300).list(), one)
  t.notSame(new World(8, 300).list()[0], one[0])
})

t.test('devices look like Apple devices', async (t) => {
  const devices = new World(1, 2000).list()
  const alphabet = new RegExp(`^[A-Z0-9]{3}[${SERIAL_ALPHABET}]{9}$`)
  t.ok(devices.every((d) => alphabet.test(d.serial_number)), '12-character serials')
  t.equal(new Set(devices.map((d) => d.serial_number)).size, 2000, 'unique')
  const families = new Set(devices.map((d) => d.device_family))
  t.same([...families].sort(), ['AppleTV', 'Mac', 'Vision', 'iPad', 'iPhone', 'iPod'])
  const osOf: Record<string, string> = { Mac: 'OSX', iPad: 'iPadOS', iPhone: 'iOS', iPod: 'iOS', AppleTV: 'tvOS', Vision: 'visionOS' }
  t.ok(devices.every((d) => osOf[d.device_family as string] === d.os))
  t.ok(devices.every((d) => /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$/.test(d.device_assigned_date as string)))
  t.ok(devices.every((d) => /@example\.com$/.test(d.device_assigned_by as string)))
  t.ok(devices.every((d) => (d.description as string).includes(d.color as string)))
  const share = (p: (d: typeof devices[number]) => boolean): number => devices.filter(p).length / devices.length
  t.ok(share((d) => d.asset_tag !== undefined) > 0.2)
  t.ok(share((d) => d.profile_status === 'assigned') > 0.1)
  t.ok(share((d) => d.profile_status === 'pushed') > 0.05)
  t.ok(devices.filter((d) => d.profile_status === 'pushed').every((d) => d.profile_push_time !== undefined && d.profile_uuid !== undefined))
  t.ok(share((d) => d.is_replacement_device === true) > 0)
  t.ok(share((d) => d.mdm_migration_deadline !== undefined) > 0)
  t.ok(devices.filter((d) => d.device_family === 'iPhone').every((d) => d.imei?.length === 1))
  t.ok(devices.filter((d) => d.device_family === 'Mac').every((d) => /^([0-9a-f]{2}:){5}[0-9a-f]{2}$/.test(d.ethernet_mac_address as string)))
})

t.test('without profiles no device gets one; serial clashes are retried', async (t) => {
  let calls = 0
  const g = new DeviceGenerator(3, [], () => ++calls === 1)
  const { device } = g.next(Date.UTC(2026, 0, 1))
  t.equal(calls, 2, 'the first serial was taken, a second was drawn')
  t.equal(device.device_assigned_date, '2026-01-01T00:00:00Z')
  for (let i = 0; i < 200; i++) t.notOk(g.next().device.profile_uuid)
  t.match(g.uuid(), /^[0-9A-F]{32}$/)
  const world = new World(3, 1)
  t.equal(world.add(0, { serial_number: world.list()[0].serial_number }), undefined, 'a serial cannot be assigned twice')
  t.equal(world.modify('NOPE', 0, {}), undefined)
  t.equal(world.remove('NOPE', 0), false)
})

t.test('clock', async (t) => {
  const clock = new SimClock(() => 1000)
  clock.advance(500)
  t.equal(clock.now(), 1500)
  t.ok(Math.abs(new SimClock().now() - Date.now()) < 1000)
  t.equal(isoSeconds(Date.UTC(2026, 0, 1, 0, 0, 0, 999)), '2026-01-01T00:00:00Z')
})
