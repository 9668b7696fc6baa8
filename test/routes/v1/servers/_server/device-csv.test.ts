/**
 * Device lists as CSV, the mirror's filters and `total`, over real HTTP: depgate with its mirror
 * on, filled from the simulator. The CSV is parsed back with csv-parse and compared field by
 * field with the JSON list; formula-like values come back escaped; every filter's `total` is the
 * number of devices the filter keeps.
 */
import { parse } from 'csv-parse/sync'
import t from 'tap'
import { DEVICE_COLUMNS, MIRROR_COLUMNS } from '../../../../../src/api/device-csv.js'
import { until } from '../../../../helper.js'
import { request } from 'undici'
import { ADMIN_KEY, S, startStack } from './stack.js'

const cell = (v: unknown): string => v === undefined ? '' : Array.isArray(v) ? v.join(',') : String(v)
const FORMULAS: Record<string, string> = { description: '=HYPERLINK("http://evil.example","x")', asset_tag: '+1+1', color: '@SUM(A1)', device_assigned_by: '-2', model: '\tTab' }

function csvRows (text: string): string[][] {
  return parse(text, { bom: true, relax_column_count: false }) as string[][]
}

t.test('20,000 devices: CSV equals JSON field by field, from the mirror and from Apple', async (t) => {
  const s = await startStack(t, { devices: 20_000, env: { DEPGATE_MIRROR: 'true', DEPGATE_SYNC_PAGE_SIZE: '1000' } })
  await until('the mirror', async () => (await s.call('GET', `${S}/devices/summary`)).status === 200, 120_000)
  const victim = (await s.call('GET', `${S}/devices?limit=1`)).json().devices[0].serial_number
  await s.sim('PATCH', `/_sim/devices/${victim}`, FORMULAS)
  t.equal((await s.call('POST', `${S}/sync?wait=true`)).status, 200)

  const json = (await s.call('GET', `${S}/devices`)).json()
  t.equal(json.count, 20_000)
  t.equal(json.total, 20_000, 'a whole list\'s total is its count')

  t.test('from the mirror, by Accept', async (t) => {
    const res = await s.call('GET', `${S}/devices`, { headers: { accept: 'text/csv' } })
    t.equal(res.status, 200)
    t.equal(res.headers['content-type'], 'text/csv; charset=utf-8; header=present')
    t.equal(res.headers['content-disposition'], 'attachment; filename="depgate-default-devices.csv"')
    t.equal(res.headers['x-depgate-source'], 'mirror')
    t.ok(res.text.startsWith('serial_number,'), 'the header row first')
    const raw = await request(`${s.url}${S}/devices?format=csv&limit=1`, { headers: { authorization: `Bearer ${ADMIN_KEY}` } })
    t.same([...Buffer.from(await raw.body.arrayBuffer()).subarray(0, 4)], [0xef, 0xbb, 0xbf, 0x73], 'UTF-8 byte order mark (undici\'s text() drops it) before "s"')
    t.match(res.text, /\r\n/, 'CRLF line ends (RFC 4180)')
    const [header, ...rows] = csvRows(res.text)
    t.same(header, MIRROR_COLUMNS)
    t.equal(rows.length, json.devices.length)
    let differences = 0
    for (const [i, d] of json.devices.entries()) {
      if (d.serial_number === victim) continue
      const want = MIRROR_COLUMNS.map((c) => cell(d[c]))
      if (rows[i].join('\u0001') !== want.join('\u0001')) differences++
    }
    t.equal(differences, 0, 'every other device equals its JSON, field by field, in the same order')
    const escaped = rows.find((r) => r[0] === victim) as string[]
    for (const [field, value] of Object.entries(FORMULAS)) t.equal(escaped[MIRROR_COLUMNS.indexOf(field)], `'${value}`, `${field} escaped against formula injection`)
  })

  t.test('from Apple, by ?format=csv, filtered', async (t) => {
    const res = await s.call('GET', `${S}/devices?source=apple&format=csv&os=OSX`, { headers: { accept: 'application/json' } })
    t.equal(res.status, 200, '?format wins over Accept')
    t.equal(res.headers['x-depgate-source'], 'apple')
    const [header, ...rows] = csvRows(res.text)
    t.same(header, DEVICE_COLUMNS)
    const want = json.devices.filter((d: any) => d.os === 'OSX')
    const bySerial = new Map(want.map((d: any) => [d.serial_number, DEVICE_COLUMNS.map((c) => cell(d[c])).join('\u0001')]))
    t.equal(rows.length, want.length)
    t.equal(rows.filter((r) => r[0] !== victim && bySerial.get(r[0]) !== r.join('\u0001')).length, 0, 'Apple\'s CSV equals the mirror\'s JSON')
  })

  t.test('a page as CSV carries next_page_token and total in headers', async (t) => {
    const res = await s.call('GET', `${S}/devices?limit=5&format=csv&device_family=Mac`)
    const macs = json.devices.filter((d: any) => d.device_family === 'Mac')
    t.equal(res.headers['x-depgate-total'], String(macs.length))
    t.type(res.headers['x-depgate-next-page-token'], 'string')
    t.equal(csvRows(res.text).length, 6)
    const last = await s.call('GET', `${S}/devices?limit=1000&format=csv&serial=${victim}`)
    t.equal(last.headers['x-depgate-next-page-token'], undefined, 'no next page, no header')
    const none = await s.call('GET', `${S}/devices?format=csv&serial=NOSUCHSERIAL1`)
    t.equal(none.text, `${MIRROR_COLUMNS.join(',')}\r\n`, 'no device: the header row alone')
    const noneFromApple = await s.call('GET', `${S}/devices?source=apple&format=csv&serial=NOSUCHSERIAL1`)
    t.equal(noneFromApple.text, `${DEVICE_COLUMNS.join(',')}\r\n`)
  })

  t.test('every filter: the page\'s total is the number of devices it keeps, the same from Apple', async (t) => {
    const d0 = json.devices.find((d: any) => d.asset_tag !== undefined && d.serial_number !== victim)
    const dates = json.devices.map((d: any) => d.device_assigned_date).filter((v: unknown) => v !== undefined).sort()
    const mid = dates[Math.floor(dates.length / 2)]
    const cases: Array<[string, (d: any) => boolean]> = [
      [`serial_prefix=${d0.serial_number.slice(0, 3).toLowerCase()}`, (d) => d.serial_number.startsWith(d0.serial_number.slice(0, 3))],
      [`asset_tag=${d0.asset_tag}`, (d) => d.asset_tag === d0.asset_tag],
      [`color=${encodeURIComponent(d0.color.toLowerCase())}`, (d) => d.color === d0.color],
      [`description=${encodeURIComponent(d0.description.slice(3, 9).toUpperCase())}`, (d) => d.description?.toLowerCase().includes(d0.description.slice(3, 9).toLowerCase())],
      ['description=%25', (d) => d.description?.includes('%')],
      [`device_assigned_by=${encodeURIComponent(d0.device_assigned_by)}`, (d) => d.device_assigned_by === d0.device_assigned_by],
      [`assigned_after=${mid}`, (d) => d.device_assigned_date !== undefined && Date.parse(d.device_assigned_date) >= Date.parse(mid)],
      [`assigned_before=${mid.slice(0, 10)}`, (d) => d.device_assigned_date !== undefined && Date.parse(d.device_assigned_date) < Date.parse(mid.slice(0, 10))],
      ['os=iOS&os=iPadOS', (d) => d.os === 'iOS' || d.os === 'iPadOS'],
      ['os=iOS,OSX&device_family=Mac', (d) => d.os === 'OSX' && d.device_family === 'Mac']
    ]
    for (const [query, keep] of cases) {
      const want = json.devices.filter(keep).map((d: any) => d.serial_number)
      const page = (await s.call('GET', `${S}/devices?limit=3&${query}`)).json()
      t.equal(page.total, want.length, `${query}: total`)
      t.equal(page.count, Math.min(3, want.length), `${query}: count`)
      t.same(page.devices.map((d: any) => d.serial_number), want.slice(0, 3), `${query}: the page`)
      const apple = (await s.call('GET', `${S}/devices?source=apple&${query}`)).json()
      t.equal(apple.count, want.length, `${query}: Apple's list, filtered the same`)
    }
    t.ok(json.devices.filter((d: any) => d.asset_tag === d0.asset_tag).length > 0)
  })
})
