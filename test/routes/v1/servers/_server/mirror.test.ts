/**
 * The device routes answered from the mirror: the real app with the mirror on, filled by its own
 * syncer from the simulator, then list (filters, sort, pages, tokens, whole list as JSON and
 * NDJSON), one device, the summary, the change feed (since, limit, long poll), sync requests and
 * the mirror status of GET /v1/servers.
 */
import t, { type Test } from 'tap'
import { request } from 'undici'
import { realScheduler, type Scheduler } from '../../../../../src/scheduler.js'
import { buildTestApp, type TestApp, until, untilReady } from '../../../../helper.js'

const S = '/v1/servers/default'
const canonical = (d: Record<string, unknown>): string => JSON.stringify(Object.keys(d).sort().map((k) => [k, d[k]]))
const cmp = (a: string, b: string): number => a < b ? -1 : a > b ? 1 : 0

function sameDevices (t: Test, got: any[], want: any[], message: string): void {
  t.same(got.map(canonical).sort(), want.map(canonical).sort(), message)
}

/** The real clock, which also tells when a timer of a given length is armed (a long poll's timeout: the poll is waiting). */
function watchedClock (): { scheduler: Scheduler, armed: (ms: number) => Promise<void> } {
  const waiters: Array<{ ms: number, resolve: () => void }> = []
  const scheduler: Scheduler = {
    ...realScheduler,
    after (ms, fn) {
      for (const w of waiters) if (w.ms === ms) w.resolve()
      return realScheduler.after(ms, fn)
    }
  }
  return { scheduler, armed: async (ms) => { await new Promise<void>((resolve) => waiters.push({ ms, resolve })) } }
}

async function mirrorApp (t: Test, devices = 150, scheduler?: Scheduler): Promise<TestApp & { sim: NonNullable<TestApp['sim']>, truth: () => Promise<any[]>, simCall: (method: string, url: string, payload?: unknown) => Promise<any> }> {
  const built = await buildTestApp(t, { env: { DEPGATE_MIRROR: 'true', DEPGATE_SYNC_PAGE_SIZE: '40', DEPGATE_FULL_SYNC_MIN_INTERVAL: '0' }, simulator: { devices }, scheduler })
  const sim = built.sim as NonNullable<TestApp['sim']>
  const simCall = async (method: string, url: string, payload?: unknown) => {
    const res = await sim.app.inject({ method: method as 'GET', url, payload: payload as object | undefined })
    return res.body === '' ? undefined : res.json()
  }
  await built.app.ready()
  await untilReady(built.app)
  return { ...built, sim, simCall, truth: async () => (await simCall('GET', '/_sim/devices')).devices }
}

t.test('the mirror answers the device routes', async (t) => {
  const clock = watchedClock()
  const m = await mirrorApp(t, 150, clock.scheduler)
  const { app, auth } = m
  const get = async (url: string, headers: Record<string, string> = {}) => await app.inject({ url, headers: { ...auth(), ...headers } })
  let truth = await m.truth()
  t.equal(truth.length, 150)

  t.test('the whole list, JSON and NDJSON, equals the truth', async (t) => {
    const res = await get(`${S}/devices`)
    t.equal(res.statusCode, 200)
    t.equal(res.headers['x-depgate-source'], 'mirror')
    t.match(res.headers['x-depgate-synced-at'], /^\d{4}-\d\d-\d\dT/)
    t.match(res.headers['content-type'], /^application\/json/)
    const list = res.json()
    t.match(list, { source: 'mirror', count: 150, next_page_token: null, synced_at: res.headers['x-depgate-synced-at'], last_seq: 150 })
    sameDevices(t, list.devices, truth, 'JSON equals the truth')
    t.same(list.devices.map((d: any) => d.serial_number), truth.map((d) => d.serial_number).sort(cmp), 'in serial order')

    const nd = await get(`${S}/devices`, { accept: 'application/x-ndjson' })
    t.match(nd.headers['content-type'], /^application\/x-ndjson/)
    const lines = nd.body.trim().split('\n').map((l) => JSON.parse(l))
    t.same(lines.pop(), { count: 150, total: 150, synced_at: list.synced_at, last_seq: 150 })
    sameDevices(t, lines, truth, 'NDJSON equals the truth')

    const sorted = (await get(`${S}/devices?sort=model&order=desc&os=OSX`)).json()
    const want = truth.filter((d) => d.os === 'OSX').sort((a, b) => cmp(b.model ?? '', a.model ?? '') || cmp(b.serial_number, a.serial_number))
    t.same(sorted.devices.map((d: any) => d.serial_number), want.map((d) => d.serial_number), 'whole list sorted and filtered')
  })

  t.test('filters, comma lists in any case', async (t) => {
    const want = truth.filter((d) => d.os === 'OSX' && ['empty', 'pushed'].includes(d.profile_status))
    sameDevices(t, (await get(`${S}/devices?os=osx&profile_status=EMPTY,pushed`)).json().devices, want, 'os and status')
    const some = truth.slice(0, 3).map((d) => d.serial_number)
    t.same((await get(`${S}/devices?serial=${some.join(',').toLowerCase()}&limit=10`)).json().devices.map((d: any) => d.serial_number), [...some].sort(cmp))
    t.same((await get(`${S}/devices?profile_uuid=${'0'.repeat(32)}`)).json(), { source: 'mirror', devices: [], count: 0, total: 0, next_page_token: null, synced_at: (await app.mirror.status('default')).last_success_at, last_seq: 150 })
  })

  t.test('pages with tokens, on any sort', async (t) => {
    for (const [sort, order] of [['serial_number', 'asc'], ['device_family', 'desc'], ['device_assigned_date', 'asc']] as const) {
      const seen: string[] = []
      let token: string | null = null
      let pages = 0
      do {
        const page: any = (await get(`${S}/devices?sort=${sort}&order=${order}&limit=40${token === null ? '' : `&page_token=${token}`}`)).json()
        t.ok(page.count <= 40)
        seen.push(...page.devices.map((d: any) => d.serial_number))
        token = page.next_page_token
        pages++
      } while (token !== null)
      t.equal(pages, 4, `${sort}: 150 devices in pages of 40`)
      const sign = order === 'asc' ? 1 : -1
      t.same(seen, [...truth].sort((a, b) => sign * (cmp(a[sort] ?? '', b[sort] ?? '') || cmp(a.serial_number, b.serial_number))).map((d) => d.serial_number), `${sort} ${order}`)
    }
    const first = (await get(`${S}/devices?limit=5&os=OSX`)).json()
    const onlyToken = (await get(`${S}/devices?page_token=${first.next_page_token}&os=osx`)).json()
    t.equal(onlyToken.count, truth.filter((d) => d.os === 'OSX').length - 5, 'page_token alone pages by 1000; filter case does not matter')
    for (const [what, url] of [
      ['other filters', `${S}/devices?limit=5&page_token=${first.next_page_token}`],
      ['another sort', `${S}/devices?limit=5&os=OSX&sort=model&page_token=${first.next_page_token}`],
      ['tampered', `${S}/devices?limit=5&os=OSX&page_token=${first.next_page_token.slice(0, -4)}AAAA`],
      ['not base64 JSON', `${S}/devices?limit=5&page_token=bm90IGpzb24`],
      ['a JSON number', `${S}/devices?limit=5&page_token=${Buffer.from('42').toString('base64url')}`],
      ['a NUL byte inside', `${S}/devices?limit=5&page_token=${Buffer.from(JSON.stringify(['Mac\u0000', 'A', 'x'])).toString('base64url')}`]
    ]) {
      const res = await get(url)
      t.equal(res.statusCode, 400, what)
      t.match(res.json(), { code: 'INVALID_PAGE_TOKEN', errors: [{ field: 'querystring.page_token' }] }, what)
    }
  })

  t.test('one device: the stored record, or Apple with source=apple', async (t) => {
    const d = truth[7]
    const res = await get(`${S}/devices/${d.serial_number.toLowerCase()}`)
    t.equal(res.statusCode, 200)
    t.equal(res.headers['x-depgate-source'], 'mirror')
    t.match(res.headers['content-type'], /^application\/json/)
    t.same(res.json(), { ...d, source: 'mirror' })
    const live = await get(`${S}/devices/${d.serial_number}?source=apple`)
    t.equal(live.headers['x-depgate-source'], 'apple')
    t.match(live.json(), { ...d, response_status: 'SUCCESS', source: 'apple' })
    const unknown = await get(`${S}/devices/ZZZZ99999999`)
    t.equal(unknown.statusCode, 404)
    t.match(unknown.json(), { code: 'DEVICE_NOT_FOUND', detail: /not in depgate's mirror of server "default"/ })
  })

  t.test('summary', async (t) => {
    const res = await get(`${S}/devices/summary`)
    t.equal(res.headers['x-depgate-source'], 'mirror')
    const by = (key: string) => {
      const out: Record<string, number> = {}
      for (const d of truth) out[d[key] ?? '(none)'] = (out[d[key] ?? '(none)'] ?? 0) + 1
      return out
    }
    t.same(res.json(), { total: 150, removed: 0, by_device_family: by('device_family'), by_model: by('model'), by_os: by('os'), by_profile_status: by('profile_status'), synced_at: res.headers['x-depgate-synced-at'], last_seq: 150 })
  })

  t.test('the change feed, a sync, removed devices, the long poll', async (t) => {
    const all: any[] = []
    let since = 0
    for (;;) {
      const page = (await get(`${S}/devices/changes?since=${since}&limit=60`)).json()
      all.push(...page.changes)
      since = page.next_since
      if (!page.more) break
    }
    t.equal(all.length, 150)
    t.same(all.map((c) => c.seq), Array.from({ length: 150 }, (_, i) => i + 1), 'no gaps, no repeats')
    t.ok(all.every((c) => c.op === 'added'))
    sameDevices(t, all.map((c) => c.device), truth, 'each added with its device')

    const added = (await m.simCall('POST', '/_sim/devices', { count: 2 })).devices
    await m.simCall('PATCH', `/_sim/devices/${truth[0].serial_number}`, { asset_tag: 'A999999' })
    await m.simCall('DELETE', `/_sim/devices/${truth[1].serial_number}`)
    const read = await m.createKey('read')
    const write = await m.createKey('write')
    t.equal((await app.inject({ method: 'POST', url: `${S}/sync`, headers: auth(read) })).statusCode, 403, 'a read key cannot sync')
    const synced = await app.inject({ method: 'POST', url: `${S}/sync?wait=true`, headers: auth(write) })
    t.equal(synced.statusCode, 200)
    t.match(synced.json(), { enabled: true, ready: true, last_seq: 154, device_count: 151, sync_requested_at: null })

    const feed = (await get(`${S}/devices/changes?since=150`)).json()
    t.same(Object.fromEntries(feed.changes.map((c: any) => [c.serial_number, c.op])), {
      [added[0].serial_number]: 'added', [added[1].serial_number]: 'added', [truth[0].serial_number]: 'modified', [truth[1].serial_number]: 'removed'
    })
    t.match(feed, { count: 4, next_since: 154, last_seq: 154, more: false })
    t.equal(feed.changes.find((c: any) => c.op === 'modified').device.asset_tag, 'A999999')

    const gone = await get(`${S}/devices/${truth[1].serial_number}`)
    t.equal(gone.statusCode, 404)
    t.match(gone.json(), { code: 'DEVICE_NOT_FOUND', detail: /left server "default" at .*removed=only/ })
    const removed = (await get(`${S}/devices?removed=only`)).json()
    t.same(removed.devices.map((d: any) => d.serial_number), [truth[1].serial_number])
    t.match(removed.devices[0], { ...truth[1], removed_at: /^\d{4}-/ })
    t.equal((await get(`${S}/devices?removed=include&limit=1000`)).json().count, 152)
    t.match((await get(`${S}/devices/summary`)).json(), { total: 151, removed: 1 })
    truth = await m.truth()

    const empty = (await get(`${S}/devices/changes?since=154&wait=1`)).json()
    t.same(empty, { source: 'mirror', changes: [], count: 0, next_since: 154, last_seq: 154, more: false }, 'nothing within the wait: an empty answer')

    // A long poll in flight is woken by the next sync's change.
    const polling = clock.armed(30_000)
    const waiting = get(`${S}/devices/changes?since=154&wait=30`)
    await polling
    const one = (await m.simCall('POST', '/_sim/devices', { count: 1 })).devices[0]
    t.equal((await app.inject({ method: 'POST', url: `${S}/sync`, headers: auth(write) })).statusCode, 202, 'without wait: requested')
    const woken = (await waiting).json()
    t.match(woken, { count: 1, next_since: 155, changes: [{ seq: 155, op: 'added', serial_number: one.serial_number }] })
    await untilReady(app)

    const full = await app.inject({ method: 'POST', url: `${S}/sync?full=true&wait=true`, headers: auth(write) })
    t.equal(full.statusCode, 200)
    t.match(full.json(), { device_count: 152, last_error: null })
    t.ok(await until('the audit entry', async () => (await m.store.audit.list({ limit: 50 })).some((e) => e.action === 'inventory.sync' && e.result === 'ok' && /full, waited/.test(e.detail ?? ''))), 'audited')
  })

  t.test('GET /v1/servers shows the mirror', async (t) => {
    const list = (await get('/v1/servers')).json()
    t.match(list.servers[0], { name: 'default', inventory: { enabled: true, ready: true, phase: 'sync', last_error: null } })
    t.match((await get(`${S}`)).json(), { name: 'default', inventory: { enabled: true, ready: true } })
  })

  t.test('bad input: a 4xx problem each', async (t) => {
    const cases: Array<[string, number, string]> = [
      [`${S}/devices?source=apple&limit=5&sort=model`, 400, 'MIRROR_ONLY_PARAMETER'],
      [`${S}/devices?source=apple&removed=only`, 400, 'MIRROR_ONLY_PARAMETER'],
      [`${S}/devices?limit=0`, 400, 'VALIDATION_FAILED'],
      [`${S}/devices?limit=1001`, 400, 'VALIDATION_FAILED'],
      [`${S}/devices?limit=1e3`, 400, 'VALIDATION_FAILED'],
      [`${S}/devices?sort=color`, 400, 'VALIDATION_FAILED'],
      [`${S}/devices?source=cache`, 400, 'VALIDATION_FAILED'],
      [`${S}/devices/changes?since=-1`, 400, 'VALIDATION_FAILED'],
      [`${S}/devices/changes?since=1&wait=61`, 400, 'VALIDATION_FAILED'],
      [`${S}/devices/changes?since=1&cursor=abc`, 400, 'CURSOR_OR_SINCE'],
      [`${S}/devices/changes?limit=5`, 400, 'SINCE_REQUIRED'],
      [`${S}/devices/changes`, 400, 'SINCE_REQUIRED'],
      [`${S}/devices/changes?since=99999`, 409, 'SINCE_AHEAD'],
      [`${S}/sync?full=yes`, 400, 'VALIDATION_FAILED'],
      [`${S}/devices?os=iOS,macOS`, 400, 'VALIDATION_FAILED'],
      [`${S}/devices?device_family=Watch`, 400, 'VALIDATION_FAILED'],
      [`${S}/devices?profile_status=done`, 400, 'VALIDATION_FAILED'],
      ['/v1/servers/nope/devices/summary', 404, 'SERVER_NOT_FOUND'],
      ['/v1/servers/nope/devices/changes?since=0', 404, 'SERVER_NOT_FOUND']
    ]
    for (const [url, status, code] of cases) {
      const res = await app.inject({ method: url.endsWith('sync?full=yes') ? 'POST' : 'GET', url, headers: auth() })
      t.equal(res.statusCode, status, url)
      t.match(res.headers['content-type'], /application\/problem\+json/, url)
      t.match(res.json(), { code }, url)
    }
    // The sentences a script's author reads.
    t.match((await get(`${S}/devices?os=iOS,macOS`)).json(), { detail: 'querystring.os.1: must be one of iOS, iPadOS, OSX, tvOS, visionOS' })
    t.match((await get(`${S}/devices?limit=ten`)).json(), { detail: 'querystring.limit: a whole number from 1 to 1000' })
    t.match((await app.inject({ method: 'POST', url: `${S}/sync?wait=yes`, headers: auth() })).json(), { detail: 'querystring.wait: must be true or false' })
  })
})

t.test('with the mirror off or not ready yet', async (t) => {
  const off = await buildTestApp(t, { simulator: { devices: 5 } })
  const call = async (to: TestApp, url: string, method = 'GET') => await to.app.inject({ method: method as 'GET', url, headers: to.auth() })
  const live = await call(off, `${S}/devices`)
  t.equal(live.headers['x-depgate-source'], 'apple')
  t.match(live.json(), { count: 5, cursor: /./ })
  for (const [url, method] of [[`${S}/devices?source=mirror`, 'GET'], [`${S}/devices?limit=5`, 'GET'], [`${S}/devices/summary`, 'GET'], [`${S}/devices/changes?since=0`, 'GET'], [`${S}/sync`, 'POST']]) {
    const res = await call(off, url, method)
    t.equal(res.statusCode, 409, url)
    t.match(res.json(), { code: 'INVENTORY_DISABLED', detail: /DEPGATE_INVENTORY=false/ }, url)
  }
  t.match((await call(off, `${S}/devices/changes`)).json(), { code: 'CURSOR_REQUIRED' })
  t.match((await call(off, '/v1/servers')).json().servers[0].inventory, { enabled: false, ready: false })

  // Apple refuses every fetch: the first full fetch never completes.
  const notReady = await buildTestApp(t, { env: { DEPGATE_MIRROR: 'true' }, simulator: { devices: 5 } })
  await notReady.sim?.app.inject({ method: 'POST', url: '/_sim/faults', payload: { endpoint: 'fetch_devices', kind: 'status', status: 500, times: 0 } })
  await notReady.app.ready()
  const serial = ((await notReady.sim?.app.inject('/_sim/devices'))?.json().devices[0].serial_number) as string
  for (const url of [`${S}/devices?source=mirror`, `${S}/devices?removed=only`, `${S}/devices/summary`, `${S}/devices/${serial}?source=mirror`]) {
    const res = await call(notReady, url)
    t.equal(res.statusCode, 503, url)
    t.equal(res.headers['retry-after'], '10', url)
    t.match(res.json(), { code: 'INVENTORY_NOT_READY' }, url)
  }
  const one = await call(notReady, `${S}/devices/${serial}`)
  t.equal(one.statusCode, 200, 'one device from Apple meanwhile')
  t.equal(one.headers['x-depgate-source'], 'apple')
  t.match((await call(notReady, `${S}/devices/changes?since=0`)).json(), { changes: [], last_seq: 0 }, 'the feed answers (empty) before the first fetch')
})

t.test('a database failure while the whole list streams', async (t) => {
  let failAfter = -1
  const m = await buildTestApp(t, {
    env: { DEPGATE_MIRROR: 'true' },
    simulator: { devices: 30 },
    wrapStore: (store) => ({
      ...store,
      mirror: {
        ...store.mirror,
        async * streamDevices (server, opts) {
          let n = 0
          for await (const batch of store.mirror.streamDevices(server, { ...opts, batchSize: 10 })) {
            if (n++ === failAfter) throw new Error('database connection lost')
            yield batch
          }
        }
      }
    })
  })
  await m.app.ready()
  await untilReady(m.app)
  failAfter = 0
  const early = await m.app.inject({ url: `${S}/devices`, headers: m.auth() })
  t.equal(early.statusCode, 500, 'the first batch failed: an ordinary problem')
  t.match(early.headers['content-type'], /application\/problem\+json/)
  failAfter = 2
  await m.app.listen({ host: '127.0.0.1', port: 0 })
  const address = m.app.server.address()
  const url = `http://127.0.0.1:${typeof address === 'object' && address !== null ? address.port : 0}${S}/devices`
  for (const accept of ['application/json', 'application/x-ndjson']) {
    const res = await request(url, { headers: { ...m.auth(), accept } })
    t.equal(res.statusCode, 200)
    let text = ''
    await t.rejects((async () => { for await (const chunk of res.body) text += String(chunk) })(), `${accept}: the connection is cut`)
    if (accept === 'application/json') t.throws(() => JSON.parse(text), 'a cut JSON list does not parse')
    else t.match(JSON.parse(text.trim().split('\n').pop() as string), { error: { status: 500, code: 'INTERNAL' } }, 'NDJSON ends with the error line')
  }
})
