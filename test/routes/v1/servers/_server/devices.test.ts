import t, { type Test } from 'tap'
import { request } from 'undici'
import { until } from '../../../../helper.js'
import { ADMIN_KEY, S, startStack } from './stack.js'

const auth = { authorization: `Bearer ${ADMIN_KEY}` }
const bySerial = (a: { serial_number: string }, b: { serial_number: string }) => a.serial_number.localeCompare(b.serial_number)
const canonical = (d: Record<string, unknown>): string => JSON.stringify(Object.keys(d).sort().map((k) => [k, d[k]]))

/** Same devices, field for field, in any order; compares canonical strings (a deep diff of 5,000 objects is slow) and shows the first difference. */
function sameDevices (t: Test, got: any[], want: any[], message: string): void {
  const a = got.map(canonical).sort()
  const b = want.map(canonical).sort()
  const i = a.findIndex((s, n) => s !== b[n])
  t.equal(got.length, want.length, `${message}: count`)
  t.equal(i, -1, `${message}: content`, i === -1 ? {} : { found: a[i], wanted: b[i] })
}

/** Reads an NDJSON response as it arrives; `onFirstChunk` runs once the first bytes are in. */
async function ndjson (url: string, onFirstChunk?: () => Promise<void>) {
  const res = await request(url, { headers: { ...auth, accept: 'application/x-ndjson' } })
  let text = ''
  let error: unknown
  try {
    for await (const chunk of res.body) {
      if (text === '' && onFirstChunk !== undefined) await onFirstChunk()
      text += String(chunk)
    }
  } catch (err) {
    error = err
  }
  return { status: res.statusCode, type: res.headers['content-type'], text, lines: text.split('\n').filter((l) => l !== '').map((l) => JSON.parse(l)), error }
}

t.test('5,000 devices: JSON and NDJSON both equal the simulator\'s truth', async (t) => {
  const s = await startStack(t, { devices: 5000 })
  const truth = (await s.sim('GET', '/_sim/devices')).devices.sort(bySerial)
  t.equal(truth.length, 5000)

  const res = await s.call('GET', `${S}/devices`)
  t.equal(res.status, 200)
  const list = res.json()
  t.equal(list.source, 'apple', 'the body says where it came from, as the header does')
  t.equal(list.count, 5000)
  sameDevices(t, list.devices, truth, 'JSON list equals the truth')
  t.type(list.cursor, 'string')
  t.ok(list.cursor.length > 0)
  t.type(list.fetched_until, 'string')

  const stream = await ndjson(`${s.url}${S}/devices`)
  t.equal(stream.status, 200)
  t.match(stream.type, /^application\/x-ndjson/)
  t.equal(stream.error, undefined)
  const trailer = stream.lines.pop()
  t.same(Object.keys(trailer).sort(), ['count', 'cursor', 'fetched_until'])
  t.equal(trailer.count, 5000)
  sameDevices(t, stream.lines, truth, 'NDJSON stream equals the truth')

  t.test('filters, comma-separated and case-insensitive, in both modes', async (t) => {
    const want = truth.filter((d: any) => d.os === 'OSX' && ['empty', 'pushed'].includes(d.profile_status))
    const filtered = (await s.call('GET', `${S}/devices?os=osx&profile_status=EMPTY,pushed`)).json()
    t.equal(filtered.count, want.length)
    sameDevices(t, filtered.devices, want, 'filtered')
    const some = truth.slice(0, 3).map((d: any) => d.serial_number)
    const bySerials = (await s.call('GET', `${S}/devices?serial=${some.join(',').toLowerCase()}`)).json()
    t.same(bySerials.devices.map((d: any) => d.serial_number).sort(), [...some].sort())
    const model = truth[0].model
    const family = (await ndjson(`${s.url}${S}/devices?model=${encodeURIComponent(model)}&device_family=${truth[0].device_family}`)).lines
    t.equal(family.pop().count, truth.filter((d: any) => d.model === model).length)
    t.ok(family.every((d: any) => d.model === model))
    const none = await ndjson(`${s.url}${S}/devices?profile_uuid=${'0'.repeat(32)}`)
    t.same(none.lines.map((l: any) => l.count), [0], 'only the trailer when nothing matches')
  })

  t.test('one serial, and one that is not ours', async (t) => {
    const one = await s.call('GET', `${S}/devices/${truth[7].serial_number.toLowerCase()}`)
    t.equal(one.status, 200)
    t.match(one.json(), { ...truth[7], response_status: 'SUCCESS', source: 'apple' })
    const foreign = await s.call('GET', `${S}/devices/ZZZZ99999999`)
    t.equal(foreign.status, 404)
    t.match(foreign.headers['content-type'], /application\/problem\+json/)
    t.match(foreign.json(), { code: 'DEVICE_NOT_ACCESSIBLE', detail: /not assigned to this MDM server .* Apple Business Manager/ })
  })

  t.test('details for 2,500 serials, some not ours', async (t) => {
    const serials = [...truth.slice(0, 2498).map((d: any) => d.serial_number), 'ZZZZ00000001', 'ZZZZ00000002']
    const res = await s.call('POST', `${S}/devices/details`, { body: { serials } })
    t.equal(res.status, 200)
    const { devices, count } = res.json()
    t.equal(count, 2500)
    t.match(devices[truth[0].serial_number], { ...truth[0], response_status: 'SUCCESS' })
    t.same(devices.ZZZZ00000001, { response_status: 'NOT_ACCESSIBLE' })
    t.equal(Object.values(devices).filter((d: any) => d.response_status === 'SUCCESS').length, 2498)
  })

  t.test('changes since the list\'s cursor, then cursor errors', async (t) => {
    const added = (await s.sim('POST', '/_sim/devices', { count: 2 })).devices
    await s.sim('PATCH', `/_sim/devices/${truth[0].serial_number}`, { asset_tag: 'A999999' })
    await s.sim('DELETE', `/_sim/devices/${truth[1].serial_number}`)
    const res = await s.call('GET', `${S}/devices/changes?cursor=${encodeURIComponent(list.cursor)}`)
    t.equal(res.status, 200)
    const body = res.json()
    t.equal(body.source, 'apple')
    t.equal(body.more_to_follow, false)
    t.equal(body.count, body.changes.length)
    const ops = Object.fromEntries(body.changes.map((c: any) => [c.serial_number, c.op_type]))
    t.same(ops, { [added[0].serial_number]: 'added', [added[1].serial_number]: 'added', [truth[0].serial_number]: 'modified', [truth[1].serial_number]: 'deleted' })
    const again = (await s.call('GET', `${S}/devices/changes?cursor=${encodeURIComponent(body.cursor)}`)).json()
    t.same(again.changes, [], 'nothing new since the returned cursor')

    const missing = await s.call('GET', `${S}/devices/changes`)
    t.equal(missing.status, 400)
    t.match(missing.json(), { code: 'CURSOR_REQUIRED', detail: /GET \/v1\/servers\/default\/devices/ })

    for (const code of ['EXHAUSTED_CURSOR', 'CURSOR_REQUIRED']) {
      await s.sim('POST', '/_sim/faults', { endpoint: 'sync_devices', kind: 'status', status: 400, code })
      const refused = await s.call('GET', `${S}/devices/changes?cursor=${encodeURIComponent(body.cursor)}`)
      t.equal(refused.status, 409)
      t.match(refused.json(), { code, detail: /Start over with GET \/v1\/servers\/default\/devices/ })
    }
    await s.sim('POST', '/_sim/faults', { endpoint: 'sync_devices', kind: 'status', status: 500, times: 3 })
    const failed = await s.call('GET', `${S}/devices/changes?cursor=${encodeURIComponent(body.cursor)}`)
    t.match(failed.json(), { status: 502, code: 'UPSTREAM_ERROR' })
    const invalid = await s.call('GET', `${S}/devices/changes?cursor=not-a-cursor`)
    t.equal(invalid.status, 409)
    t.match(invalid.json(), { code: 'INVALID_CURSOR', detail: /does not recognise .* Start over with GET/ })

    await s.sim('POST', '/_sim/clock', { advanceMs: 8 * 86_400_000 })
    const expired = await s.call('GET', `${S}/devices/changes?cursor=${encodeURIComponent(body.cursor)}`)
    t.equal(expired.status, 409)
    t.match(expired.json(), { code: 'EXPIRED_CURSOR', detail: /older than 7 days\. Start over with GET \/v1\/servers\/default\/devices/ })
  })
})

t.test('failures: before the first page a problem, midway an NDJSON error line and a cut connection', async (t) => {
  // Slow answers must not time out here: the test wants Apple's 500, not a timeout.
  const s = await startStack(t, { devices: 2500, client: { timeouts: { headersMs: 5000, bodyMs: 5000 } } })

  await s.sim('POST', '/_sim/faults', { endpoint: 'fetch_devices', kind: 'status', status: 500, times: 0 })
  const json = await s.call('GET', `${S}/devices`)
  t.equal(json.status, 502)
  t.match(json.json(), { code: 'UPSTREAM_ERROR' })
  const early = await ndjson(`${s.url}${S}/devices`)
  t.equal(early.status, 502, 'no page yet: an ordinary problem response')
  t.match(early.type, /application\/problem\+json/)
  await s.sim('DELETE', '/_sim/faults')

  // Every page is slowed down; once the first page has reached us, Apple starts failing, so the
  // second page (already waiting in the simulator) fails with 500 on every retry.
  await s.sim('POST', '/_sim/faults', { endpoint: 'fetch_devices', kind: 'latency', ms: 800, times: 0 })
  const mid = await ndjson(`${s.url}${S}/devices`, async () => {
    await s.sim('POST', '/_sim/faults', { endpoint: 'fetch_devices', kind: 'status', status: 500, times: 0 })
  })
  t.equal(mid.status, 200)
  t.ok(mid.error, 'the HTTP client sees the response cut off')
  const last = mid.lines.pop()
  t.match(last, { error: { status: 502, code: 'UPSTREAM_ERROR', instance: `${S}/devices`, detail: /fetch devices/ } })
  t.equal(mid.lines.length, 1000, 'the first page arrived, then the error line, and no trailer')
  t.ok(mid.lines.every((d: any) => typeof d.serial_number === 'string'))
  await s.sim('DELETE', '/_sim/faults')

  // JSON is streamed too: the first page goes out as it arrives, and a later failure cuts the
  // document off, so it never parses as a (shorter) list.
  await s.sim('POST', '/_sim/faults', { endpoint: 'fetch_devices', kind: 'latency', ms: 800, times: 0 })
  const res = await request(`${s.url}${S}/devices?source=apple`, { headers: auth })
  t.equal(res.statusCode, 200)
  let text = ''
  let cut: unknown
  try {
    for await (const chunk of res.body) {
      if (text === '') await s.sim('POST', '/_sim/faults', { endpoint: 'fetch_devices', kind: 'status', status: 500, times: 0 })
      text += String(chunk)
    }
  } catch (err) {
    cut = err
  }
  t.ok(cut, 'the HTTP client sees the JSON response cut off')
  t.match(text, /^\{"source":"apple","devices":\[\{"serial_number"/, 'the first page was sent before the drain ended')
  t.throws(() => JSON.parse(text), SyntaxError, 'what arrived is not a valid document')
  await s.sim('DELETE', '/_sim/faults')

  t.test('a caller that hangs up stops the drain', async (t) => {
    // Every page takes 300 ms, so a page request is in flight when the caller hangs up: depgate
    // stopping the drain aborts it, which the simulator counts as abandoned. Once it has, the
    // drain is over (no retry, no next page) and the pages fetched so far are all there will be.
    const abandoned = async (what: string): Promise<{ requests: Record<string, number> }> =>
      await until(`${what}: the page request in flight abandoned`, async () => {
        const stats = await s.sim('GET', '/_sim/stats')
        return stats.abandoned.fetch_devices >= 1 && stats
      })
    await s.sim('POST', '/_sim/faults', { endpoint: 'fetch_devices', kind: 'latency', ms: 300, times: 0 })
    await s.sim('POST', '/_sim/stats/reset')
    const res = await request(`${s.url}${S}/devices`, { headers: { ...auth, accept: 'application/x-ndjson' } })
    await new Promise((resolve) => res.body.once('data', resolve))
    res.body.destroy()
    const stats = await abandoned('NDJSON')
    t.ok(stats.requests.fetch_devices < 3, `fetched ${stats.requests.fetch_devices} of 3 pages`)

    // JSON mode: hang up once the first page has been fetched.
    await s.sim('POST', '/_sim/stats/reset')
    const hangUp = new AbortController()
    const pending = request(`${s.url}${S}/devices`, { headers: auth, signal: hangUp.signal })
      .then(async (res) => { for await (const chunk of res.body) t.ok(chunk) }).catch((err: unknown) => err)
    await until('a first page fetched', async () => ((await s.sim('GET', '/_sim/stats')).requests.fetch_devices ?? 0) >= 1)
    hangUp.abort()
    t.type(await pending, Error)
    const after = await abandoned('JSON')
    t.ok(after.requests.fetch_devices < 3, `JSON: fetched ${after.requests.fetch_devices} of 3 pages`)
    await s.sim('DELETE', '/_sim/faults')
  })
})
