import t from 'tap'
import { addFault, call, client, start, type Answer } from './fixtures/helper.js'

const SHARE_ERROR = 'share must be a number greater than 0 and at most 1'

t.test('fault share', async (t) => {
  const s = await start(t, { devices: 5 })
  const { url } = s
  const api = await client(s)
  const fault = async (body: Record<string, unknown>): Promise<number> => await addFault(t, url, body)
  const statuses = async (n: number): Promise<number[]> => {
    const out: number[] = []
    for (let i = 0; i < n; i++) out.push((await api('GET', '/account')).status)
    return out
  }
  t.afterEach(async () => { await call(url, 'DELETE', '/_sim/faults') })

  t.test('share must be a number in (0, 1]', async (t) => {
    for (const share of [0, -0.5, 1.01, 2, '0.5', null, true, [0.5]]) {
      const r = await call(url, 'POST', '/_sim/faults', { body: { endpoint: 'account', kind: 'drop', share } })
      t.same([r.status, r.json()], [400, { error: SHARE_ERROR }], JSON.stringify(share))
    }
    t.same((await call(url, 'GET', '/_sim/faults')).json(), { faults: [] }, 'nothing was added')
  })

  t.test('share: 1 behaves like a fault without share', async (t) => {
    const id = await fault({ endpoint: 'account', kind: 'status', status: 500, times: 2, share: 1 })
    t.match((await call(url, 'GET', '/_sim/faults')).json(), { faults: [{ id, kind: 'status', times: 2, share: 1 }] })
    t.same(await statuses(3), [500, 500, 200])
    t.same((await call(url, 'GET', '/_sim/faults')).json(), { faults: [] }, 'used up like any fault')
  })

  t.test('share: 0.3 of an unlimited fault fires on about 30 % of the calls, and never once removed', async (t) => {
    const id = await fault({ endpoint: '*', kind: 'status', status: 503, times: 0, share: 0.3 })
    const faulted = (await statuses(400)).filter((status) => status === 503).length
    t.ok(faulted >= 60 && faulted <= 180, `${faulted} of 400 calls faulted`)
    t.match((await call(url, 'GET', '/_sim/faults')).json(), { faults: [{ id, times: 0, share: 0.3 }] }, 'still there')
    t.same((await call(url, 'DELETE', `/_sim/faults/${id}`)).json(), { cleared: 1 })
    t.same(new Set(await statuses(100)), new Set([200]))
  })

  t.test('times still bounds the firings; the calls a share skips do not count', async (t) => {
    await fault({ endpoint: 'account', kind: 'status', status: 500, times: 3, share: 0.5 })
    t.equal((await statuses(100)).filter((status) => status === 500).length, 3)
    t.same((await call(url, 'GET', '/_sim/faults')).json(), { faults: [] })
  })

  t.test('when a share fault skips a call, the next fault of its kind gets its chance', async (t) => {
    await fault({ endpoint: 'account', kind: 'status', status: 500, times: 0, share: 0.5 })
    await fault({ endpoint: '*', kind: 'status', status: 503, times: 0 })
    const got = await statuses(100)
    const first = got.filter((status) => status === 500).length
    t.equal(got.filter((status) => status === 503).length, 100 - first, 'every call faulted')
    t.ok(first >= 20 && first <= 80, `${first} of 100 by the share fault`)
  })

  t.test('a share fault only draws for the calls it matches', async (t) => {
    await fault({ endpoint: 'fetch_devices', kind: 'status', status: 500, times: 0, share: 1 })
    t.same(new Set(await statuses(20)), new Set([200]), 'other endpoints untouched')
    t.equal((await api('POST', '/server/devices')).status, 500)
  })
})

t.test('share draws are reproducible: the same calls fault the same way in a fresh simulator', async (t) => {
  const pattern = async (): Promise<string> => {
    const s = await start(t, { devices: 5 })
    const api = await client(s)
    const r = await call(s.url, 'POST', '/_sim/faults', { body: { endpoint: '*', kind: 'status', status: 502, times: 0, share: 0.5 } })
    t.equal(r.status, 200)
    const got: Answer[] = []
    for (let i = 0; i < 40; i++) got.push(await api('GET', '/account'))
    return got.map((a) => a.status === 502 ? 'x' : '.').join('')
  }
  const first = await pattern()
  t.match(first, /x/)
  t.match(first, /\./)
  t.equal(await pattern(), first)
})
