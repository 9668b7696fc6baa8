/**
 * The assignment engine on the dashboard, against the real app and the simulator over HTTP: the
 * enrollment page lists the failed and throttled assignments as GET …/assignments?status= answers
 * them (each serial linking to its device), and a device's page shows the engine's row for it
 * beside what the rules would do.
 */
import t from 'tap'
import { engineApp, S } from '../../enrollment/engine-app.js'
import { browser } from './jar.js'

const T = 'UIT000000001'
const F = 'UIF000000001'
const OK = 'UIS000000001'

t.test('failing assignments on the enrollment page, the engine\'s state on the device page', async (t) => {
  const m = await engineApp(t)
  await m.app.ready()
  await m.until('the mirror', async () => (await m.call('GET', S)).json().inventory.ready === true)
  await m.profile('macs')
  await m.rules([{ name: 'UI devices', match: { serial_prefix: 'UI' }, profile: 'macs' }])
  // Apple throttles one (asking for an hour) and fails another: neither is sent again during the test.
  await m.simCall('PATCH', '/_sim/config', { throttleSerials: [T], failSerials: [F], throttleRetryAfterSec: 3600 })
  await m.addDevices([{ serial_number: T }, { serial_number: F }, { serial_number: OK }])
  await m.sync()
  await m.untilStatus(T, 'throttled')
  await m.untilStatus(F, 'failed')
  await m.untilStatus(OK, 'succeeded')

  const b = browser(m.app)
  await b.signIn(m.adminKey)
  const page = await b.get('/ui/servers/default/enrollment')
  t.equal(page.statusCode, 200)
  const section = page.body.split('id="failing"')[1]
  const listed = [...section.matchAll(/<a href="\/ui\/servers\/default\/devices\/([^"]+)">/g)].map((x) => x[1])
  const api = async (status: string) => (await m.call('GET', `${S}/assignments?status=${status}`)).json().assignments.map((a: { serial: string }) => a.serial) as string[]
  t.same(listed, [...await api('failed'), ...await api('throttled'), ...await api('gave_up')], 'the API\'s failed, throttled and given-up rows, in that order')
  t.same(listed, [F, T])
  t.match(section, '<span class="badge warn">throttled</span>')
  t.notMatch(section, /assignment engine is off/)
  t.notMatch(section, new RegExp(OK), 'a succeeded one is not failing')

  const row = (await m.row(T))!
  const device = await b.get(`/ui/servers/default/devices/${T}`)
  t.equal(device.statusCode, 200)
  const engine = device.body.split('id="engine"')[1].split('</dl>')[0]
  t.match(engine, '<span class="badge warn">throttled</span>')
  t.match(engine, `<dt>Attempts</dt><dd>${row.attempts}</dd>`)
  t.match(engine, '<dt>Last result</dt><dd class="wrap">THROTTLED: ')
  t.match(engine, `${row.next_attempt_at!.slice(0, 16).replace('T', ' ')} UTC`, 'its next attempt')
  t.match(device.body, /<strong>UI devices<\/strong>, is the first to match/, 'beside what the rules would do')
  const other = await b.get(`/ui/servers/default/devices/${(await m.call('GET', `${S}/devices?limit=1`)).json().devices[0].serial_number as string}`)
  t.match(other.body, /The assignment engine has not queued this device/)
})
