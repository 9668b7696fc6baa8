import t from 'tap'
import { request } from 'undici'
import { until } from '../helper.js'
import { addFault, call, client, login, start } from './fixtures/helper.js'

t.test('fault injection', async (t) => {
  const s = await start(t, { devices: 30 })
  const { url } = s
  const api = await client(s)
  const fault = async (body: Record<string, unknown>): Promise<number> => await addFault(t, url, body)

  t.test('status: 5xx, 429 with Retry-After, Apple codes, once by default', async (t) => {
    await fault({ endpoint: 'account', kind: 'status', status: 503 })
    let r = await api('GET', '/account')
    t.same([r.status, r.text], [503, 'SERVICE_UNAVAILABLE'])
    t.equal((await api('GET', '/account')).status, 200, 'times defaults to 1')
    await fault({ endpoint: 'fetch_devices', kind: 'status', status: 429, retryAfter: 7, times: 2 })
    r = await api('POST', '/server/devices')
    t.same([r.status, r.text, r.headers['retry-after']], [429, 'TOO_MANY_REQUESTS', '7'])
    t.equal((await api('POST', '/server/devices')).status, 429)
    t.equal((await api('POST', '/server/devices')).status, 200)
    await fault({ endpoint: 'session', kind: 'status', status: 403, code: 'T_C_NOT_SIGNED' })
    t.rejects(login(url), /403 T_C_NOT_SIGNED/)
    await fault({ endpoint: 'session', kind: 'status', status: 418 })
    r = await call(url, 'GET', '/session')
    t.same([r.status, r.text], [418, ''], 'no default code for odd statuses')
    await fault({ endpoint: 'account', kind: 'status', status: 401 })
    t.equal((await api('GET', '/account')).text, 'UNAUTHORIZED')
  })

  t.test("'*' and times: 0 hit every endpoint until cleared", async (t) => {
    const id = await fault({ endpoint: '*', kind: 'status', status: 500, times: 0 })
    t.equal((await api('GET', '/account')).status, 500)
    t.equal((await api('POST', '/devices/sync', { body: {} })).text, 'INTERNAL_SERVER_ERROR')
    t.match((await call(url, 'GET', '/_sim/faults')).json(), { faults: [{ id, endpoint: '*', kind: 'status', status: 500, times: 0 }] })
    t.same((await call(url, 'DELETE', `/_sim/faults/${id}`)).json(), { cleared: 1 })
    t.same((await call(url, 'DELETE', `/_sim/faults/${id}`)).json(), { cleared: 0 })
    t.equal((await api('GET', '/account')).status, 200)
    await fault({ endpoint: '*', kind: 'latency', ms: 1, times: 0 })
    await fault({ endpoint: 'account', kind: 'drop', times: 5 })
    t.same((await call(url, 'DELETE', '/_sim/faults')).json(), { cleared: 2 })
    t.same((await call(url, 'GET', '/_sim/faults')).json(), { faults: [] })
  })

  t.test('latency delays the answer', async (t) => {
    await fault({ endpoint: 'account', kind: 'latency', ms: 50 })
    const started = process.hrtime.bigint()
    t.equal((await api('GET', '/account')).status, 200)
    t.ok(process.hrtime.bigint() - started >= 40_000_000n, 'at least the scripted delay')
  })

  t.test('drop closes the connection without an answer', async (t) => {
    await fault({ endpoint: 'device_details', kind: 'drop' })
    await t.rejects(api('POST', '/devices', { body: { devices: ['X'] } }))
    t.equal((await api('POST', '/devices', { body: { devices: ['X'] } })).status, 200)
  })

  t.test('truncate sends half of a successful body', async (t) => {
    await fault({ endpoint: 'fetch_devices', kind: 'truncate' })
    const r = await api('POST', '/server/devices', { body: { cursor: 'bad' } })
    t.equal(r.text, 'INVALID_CURSOR', 'errors are left alone')
    await fault({ endpoint: 'account', kind: 'truncate' })
    const cut = await api('GET', '/account')
    t.equal(cut.status, 200)
    t.throws(() => cut.json())
    const whole = await api('GET', '/account')
    t.equal(cut.text, whole.text.slice(0, Math.ceil(whole.text.length / 2)))
    t.equal(cut.headers['content-length'], String(cut.text.length))
    t.equal((await api('POST', '/server/devices')).status, 200, 'the fetch fault is still pending after the error')
  })

  t.test('content_type answers 200 with an HTML page', async (t) => {
    await fault({ endpoint: 'account', kind: 'content_type' })
    const r = await api('GET', '/account')
    t.equal(r.status, 200)
    t.match(r.headers['content-type'], 'text/html')
    t.match(r.text, /^<html>/)
  })

  t.test('same_cursor: the cursor that was sent, more_to_follow true', async (t) => {
    await fault({ endpoint: 'fetch_devices', kind: 'same_cursor', times: 2 })
    const first = (await api('POST', '/server/devices')).json()
    t.same([first.devices, first.more_to_follow], [[], true])
    const again = (await api('POST', '/server/devices', { body: { cursor: first.cursor } })).json()
    t.same([again.cursor, again.devices, again.more_to_follow], [first.cursor, [], true])
    const real = (await api('POST', '/server/devices', { body: { cursor: first.cursor, limit: 1000 } })).json()
    t.equal(real.devices.length, 30, 'the anomaly cursor is a valid start cursor')
    await fault({ endpoint: 'sync_devices', kind: 'same_cursor' })
    const sync = (await api('POST', '/devices/sync', { body: { cursor: real.cursor } })).json()
    t.same([sync.cursor, sync.more_to_follow], [real.cursor, true])
  })

  t.test('throttle: the next N serials of an assignment', async (t) => {
    const uuid = (await api('POST', '/profile', { body: { profile_name: 'p', url: 'https://x.example' } })).json().profile_uuid
    const serials = s.sim.world.list().slice(0, 4).map((d) => d.serial_number)
    await fault({ endpoint: 'assign_profile', kind: 'throttle', count: 2, retryAfter: 30 })
    const r = (await api('PUT', '/profile/devices', { body: { profile_uuid: uuid, devices: serials } })).json()
    t.same(Object.values(r.devices), ['THROTTLED', 'THROTTLED', 'SUCCESS', 'SUCCESS'])
    t.equal(r.retry_after_seconds, 30)
    await fault({ endpoint: 'assign_profile', kind: 'throttle' })
    const all = (await api('PUT', '/profile/devices', { body: { profile_uuid: uuid, devices: serials } })).json()
    t.same(Object.values(all.devices), ['THROTTLED', 'THROTTLED', 'THROTTLED', 'THROTTLED'])
    t.equal(all.retry_after_seconds, 60, 'the configured default')
    t.notOk('retry_after_seconds' in (await api('PUT', '/profile/devices', { body: { profile_uuid: uuid, devices: serials } })).json())
  })

  t.test('stats count requests per endpoint, faulted or not', async (t) => {
    await call(url, 'POST', '/_sim/stats/reset')
    await fault({ endpoint: 'account', kind: 'status', status: 500 })
    await api('GET', '/account')
    await api('GET', '/account')
    await api('POST', '/server/devices')
    const stats = (await call(url, 'GET', '/_sim/stats')).json()
    t.match(stats.requests, { account: 2, fetch_devices: 1, session: 0, passthrough: 0 })
    t.equal(Object.keys(stats.requests).length, 17)
  })

  t.test('stats count the requests a client abandoned, not those the simulator dropped', async (t) => {
    await call(url, 'POST', '/_sim/stats/reset')
    const stats = async () => (await call(url, 'GET', '/_sim/stats')).json()
    await fault({ endpoint: 'account', kind: 'latency', ms: 200 })
    const gaveUp = new AbortController()
    const pending = request(`${url}/account`, { signal: gaveUp.signal }).catch((err: unknown) => err)
    await until('the request to arrive', async () => (await stats()).requests.account === 1)
    gaveUp.abort()
    t.type(await pending, Error)
    await until('the abandoned request counted', async () => (await stats()).abandoned.account === 1)
    // Asleep until its latency ends (Apple too goes on with a request its caller gave up on).
    await until('the latency to end', async () => s.sim.delayed === 0)
    await fault({ endpoint: 'account', kind: 'drop' })
    await t.rejects(api('GET', '/account'))
    t.equal((await api('GET', '/account')).status, 200)
    t.match(await stats(), { requests: { account: 3 }, abandoned: { account: 1, fetch_devices: 0 } })
  })

  t.test('bad fault requests', async (t) => {
    const bad = [
      {}, { endpoint: 'nope', kind: 'drop' }, { endpoint: 'account', kind: 'explode' }, { endpoint: 'account', kind: 'drop', times: -1 },
      { endpoint: 'account', kind: 'latency' }, { endpoint: 'account', kind: 'status' }, { endpoint: 'account', kind: 'status', status: 200 },
      { endpoint: 'account', kind: 'status', status: 500, code: 'no spaces' }, { endpoint: 'account', kind: 'status', status: 500, retryAfter: 'soon' },
      { endpoint: 'account', kind: 'throttle', count: 1.5 }
    ]
    for (const body of bad) t.equal((await call(url, 'POST', '/_sim/faults', { body })).status, 400, JSON.stringify(body))
    t.equal((await call(url, 'POST', '/_sim/faults', { body: [] })).status, 400)
  })
})
