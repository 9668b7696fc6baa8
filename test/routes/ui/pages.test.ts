/**
 * The dashboard's pages against a real depgate and simulator, without a browser: the overview's
 * numbers are GET …/devices/summary's, the device table is GET …/devices' for the same filter,
 * sort and page (and its CSV link the API's CSV), a device, enrollment with rule counts, errors as
 * pages, and the stylesheet and script.
 */
import { randomUUID } from 'node:crypto'
import t from 'tap'
import { escapeHtml } from '../../../src/ui/html.js'
import { buildTestApp } from '../../helper.js'
import { enrollApp, PROFILE, S } from '../v1/servers/_server/enrollment/app.js'
import { browser } from './jar.js'

const serialsIn = (body: string): string[] => [...body.matchAll(/\/devices\/([^"]+)">/g)].map((m) => decodeURIComponent(m[1]))
const nextHref = (body: string): string | undefined => /rel="next" href="([^"]+)"/.exec(body)?.[1].replaceAll('&amp;', '&')

t.test('overview, devices, device and enrollment show what the API answers', async (t) => {
  const m = await enrollApp(t, { devices: 60 })
  const api = async (url: string) => (await m.app.inject({ url, headers: m.auth() }))
  const b = browser(m.app)
  await b.signIn(m.adminKey)

  const summary = (await api(`${S}/devices/summary`)).json()
  const overview = await b.get('/ui')
  t.equal(overview.statusCode, 200)
  t.match(overview.body, `<strong id="total-default">${summary.total}</strong>`, 'the mirror size is the summary\'s total')
  for (const field of ['by_device_family', 'by_os', 'by_model', 'by_profile_status']) {
    for (const [label, n] of Object.entries(summary[field] as Record<string, number>).sort((a, b) => b[1] - a[1] || a[0].localeCompare(b[0])).slice(0, 7)) {
      t.ok(overview.body.includes(`<li>${escapeHtml(label)}: ${n}</li>`), `${field} ${label}: ${n}`)
    }
  }
  t.match(overview.body, /Latest changes/)
  t.match(overview.body, /data-until="/, 'the token countdown')

  const plain = await b.get('/ui/servers/default/devices')
  t.match(plain, { statusCode: 200 })
  t.match(plain.body, `<strong id="total">${summary.total}</strong>`)

  // Filter, sort and page; empty form fields are no filter.
  const query = 'os=&model=&device_family=iPad,iPhone,Mac&sort=model&order=desc&limit=5'
  const page1 = await b.get(`/ui/servers/default/devices?${query}`)
  t.equal(page1.statusCode, 200)
  const json1 = (await api(`${S}/devices?device_family=iPad,iPhone,Mac&sort=model&order=desc&limit=5`)).json()
  t.same(serialsIn(page1.body), json1.devices.map((d: { serial_number: string }) => d.serial_number), 'the rows are the API\'s, in its order')
  t.match(page1.body, `<strong id="total">${json1.total}</strong>`, 'with its total')
  t.match(page1.body, /aria-sort="descending"/)
  const next = nextHref(page1.body)!
  const page2 = await b.get(`/ui/servers/default/devices${next}`)
  const json2 = (await api(`${S}/devices?device_family=iPad,iPhone,Mac&sort=model&order=desc&limit=5&page_token=${json1.next_page_token as string}`)).json()
  t.same(serialsIn(page2.body), json2.devices.map((d: { serial_number: string }) => d.serial_number), 'the next page is the API\'s next page')
  t.match(page2.body, /Devices <strong>6–10<\/strong>/)
  t.match(page2.body, /First page/)

  const csv = await b.get(`/ui/servers/default/devices.csv?${query}`)
  t.equal(csv.headers['content-type'], 'text/csv; charset=utf-8; header=present')
  t.equal(csv.body, (await api(`${S}/devices?device_family=iPad,iPhone,Mac&sort=model&order=desc&limit=5&format=csv`)).body, 'the CSV link is exactly the rows shown')

  const serial = json1.devices[0].serial_number as string
  const device = await b.get(`/ui/servers/default/devices/${serial}`)
  t.equal(device.statusCode, 200)
  t.match(device.body, `data-field="serial_number">${serial}</dd>`)
  t.match(device.body, /<td>added<\/td>/, 'its change history from the feed')
  const missing = await b.get('/ui/servers/default/devices/NOSUCHSERIAL')
  t.equal(missing.statusCode, 404)
  t.match(missing.body, /has no device with serial number NOSUCHSERIAL/)
  const badToken = await b.get('/ui/servers/default/devices?page_token=bm9wZQ')
  t.equal(badToken.statusCode, 400)
  t.match(badToken.body, /The page_token is not one depgate gave out/)
  const unknown = await b.get('/ui/servers/nosuch/devices')
  t.equal(unknown.statusCode, 404)
  t.match(unknown.body, /Not found/)

  // Enrollment: named profiles and the rules with the preview's counts.
  await m.call('PUT', `${S}/enrollment-profiles/macs`, PROFILE)
  await m.call('PUT', `${S}/assignment-rules`, { rules: [{ name: 'All Macs', match: { device_family: 'Mac' }, profile: 'macs' }] })
  const preview = (await m.call('POST', `${S}/assignment-rules/preview`)).json()
  const enrollment = await b.get('/ui/servers/default/enrollment')
  t.equal(enrollment.statusCode, 200)
  t.match(enrollment.body, /<td>macs<\/td>/)
  t.match(enrollment.body, `<td>${preview.rules[0].matched}</td><td>${preview.rules[0].to_assign}</td>`, 'each rule with its preview counts')
  t.match(enrollment.body, `${preview.unmatched.count} of ${preview.devices} devices match no rule`)
  const one = async (family: string) => (await api(`${S}/devices?device_family=${family}&limit=1`)).json().devices[0].serial_number as string
  t.match((await b.get(`/ui/servers/default/devices/${await one('Mac')}`)).body, /<strong>All Macs<\/strong>, is the first to match/, 'the device page says what the rules decide for it')
  t.match((await b.get(`/ui/servers/default/devices/${await one('iPhone')}`)).body, /None of the 1 assignment rules matches/)

  // The audit log a page of 100 at a time, newest first.
  for (let i = 0; i < 100; i++) await m.store.audit.record({ keyId: null, action: 'test.entry', target: `/test/${i}`, result: 'ok' })
  const audit = await b.get('/ui/audit')
  t.equal(audit.statusCode, 200)
  const older = await b.get(`/ui/audit${nextHref(audit.body)!}`)
  t.equal(older.statusCode, 200)
  t.match(older.body, /ui\.sign_in/, 'the first entries are on the older page')

  // Jobs, 50 a page, newest first.
  for (let i = 0; i < 51; i++) await m.store.jobs.insert({ id: randomUUID(), kind: 'assign_profile', server: 'default', org: null, input: {}, total: 10 })
  const jobs = await b.get('/ui/jobs')
  t.equal(jobs.statusCode, 200)
  t.equal([...jobs.body.matchAll(/<progress /g)].length, 50)
  const olderJobs = await b.get(`/ui/jobs${nextHref(jobs.body)!}`)
  t.equal([...olderJobs.body.matchAll(/<progress /g)].length, 1)

  const css = await b.get('/ui/assets/style.css')
  t.equal(css.statusCode, 200)
  t.match(css.headers['content-type'], /text\/css/)
  t.equal((await b.get('/ui/assets/style.css', { 'if-none-match': String(css.headers.etag) })).statusCode, 304)
  t.match((await b.get('/ui/assets/app.js')).headers['content-type'], /javascript/)
  t.equal((await b.get('/ui/assets/nope.js')).statusCode, 404)
})

t.test('with the mirror off, pages say why instead of failing', async (t) => {
  const m = await enrollApp(t, { devices: 3, mirror: false })
  const b = browser(m.app)
  await b.signIn(m.adminKey)
  const devices = await b.get('/ui/servers/default/devices')
  t.equal(devices.statusCode, 409)
  t.match(devices.body, /mirror/)
  await m.call('PUT', `${S}/enrollment-profiles/macs`, PROFILE)
  await m.call('PUT', `${S}/assignment-rules`, { rules: [{ name: 'All Macs', match: { device_family: 'Mac' }, profile: 'macs' }] })
  const enrollment = await b.get('/ui/servers/default/enrollment')
  t.equal(enrollment.statusCode, 200, 'the rules without their counts')
  t.match(enrollment.body, /class="notice"/)
  t.match(enrollment.body, /<td>—<\/td>/)
  t.match(enrollment.body, /assignment engine is off/, 'without the mirror the engine does not run, and the page says so')
  const overview = await b.get('/ui')
  t.match(overview.body, /the mirror is off/)
})

t.test('before the first fetch completes, pages say so', async (t) => {
  // Apple refuses every fetch: the first full fetch never completes.
  const m = await buildTestApp(t, { env: { DEPGATE_MIRROR: 'true' }, simulator: { devices: 5 } })
  await m.sim?.app.inject({ method: 'POST', url: '/_sim/faults', payload: { endpoint: 'fetch_devices', kind: 'status', status: 500, times: 0 } })
  await m.app.ready()
  const b = browser(m.app)
  await b.signIn(m.adminKey)
  const devices = await b.get('/ui/servers/default/devices')
  t.equal(devices.statusCode, 503)
  t.match(devices.body, /depgate could not answer/)
  const enrollment = await b.get('/ui/servers/default/enrollment')
  t.equal(enrollment.statusCode, 200)
  t.match((await b.get('/ui')).body, /first fetch running/)
})
