import t from 'tap'
import { changePages, createDepgateClient, DepgateError, devicePages, header, type ResponseObject, unwrap } from '../../../clients/typescript/index.js'

interface Seen { method: string, path: string, query: Record<string, string[]>, authorization: string | null }

/** A depgate stand-in: answers each request with `answer(seen)`, JSON unless it says otherwise. */
function fake (answer: (seen: Seen) => { status?: number, body: unknown, type?: string }): { seen: Seen[], client: ReturnType<typeof createDepgateClient> } {
  const seen: Seen[] = []
  const client = createDepgateClient({
    baseUrl: 'http://depgate.test',
    apiKey: 'dgk_test',
    retry: { attempts: 1 },
    fetch: async (request) => {
      const url = new URL(request.url)
      const query: Record<string, string[]> = {}
      for (const [k, v] of url.searchParams) (query[k] ??= []).push(v)
      const s = { method: request.method, path: url.pathname, query, authorization: request.headers.get('authorization') }
      seen.push(s)
      const { status = 200, body, type } = answer(s)
      const problem = status >= 400 && type === undefined
      const text = status === 204 ? null : typeof body === 'string' ? body : JSON.stringify(body)
      return new Response(text, { status, headers: { 'content-type': type ?? (problem ? 'application/problem+json' : 'application/json') } })
    }
  })
  return { seen, client }
}

const device = (serial: string) => ({ serial_number: serial })
const problem = (status: number, code: string) => ({ type: `urn:depgate:problem:${code}`, title: 'x', status, code, detail: `${code} happened`, instance: '/x' })

async function collect<T> (it: AsyncIterable<T>): Promise<T[]> {
  const all: T[] = []
  for await (const x of it) all.push(x)
  return all
}

t.test('device pages follow next_page_token with the same filters, and send the key', async (t) => {
  const { seen, client } = fake(({ query }) => {
    const next = query.page_token?.[0] === undefined ? 'p2' : null
    return { body: { source: 'mirror', devices: [device(next === null ? 'B' : 'A')], count: 1, total: 2, next_page_token: next, synced_at: null, last_seq: 3 } }
  })
  const pages = await collect(devicePages(client, 'default', { query: { os: ['iOS', 'iPadOS'] }, pageSize: 1 }))
  t.same(pages.flatMap((p) => p.devices.map((d) => d.serial_number)), ['A', 'B'])
  t.same(seen.map((s) => s.query), [{ os: ['iOS', 'iPadOS'], limit: ['1'] }, { os: ['iOS', 'iPadOS'], limit: ['1'], page_token: ['p2'] }])
  t.same(seen.map((s) => [s.path, s.authorization]), [['/v1/servers/default/devices', 'Bearer dgk_test'], ['/v1/servers/default/devices', 'Bearer dgk_test']])
})

t.test('from Apple, or with no mirror, the one drained answer is the only page', async (t) => {
  const apple = { source: 'apple', devices: [device('A')], count: 1, cursor: 'c1' }
  const { seen, client } = fake(({ query }) => query.limit === undefined ? { body: apple } : { status: 409, body: problem(409, 'INVENTORY_DISABLED') })
  t.same(await collect(devicePages(client, 'default', { signal: new AbortController().signal })), [apple])
  t.same(seen.map((s) => s.query), [{ limit: ['1000'] }, { source: ['apple'] }])
  t.same(await collect(devicePages(client, 'default', { query: { source: 'apple' } })), [apple])
})

t.test('a failed page is a DepgateError with the problem', async (t) => {
  const { client } = fake(() => ({ status: 404, body: problem(404, 'SERVER_NOT_FOUND') }))
  const err = await collect(devicePages(client, 'nope')).catch((e: unknown) => e)
  t.ok(err instanceof DepgateError)
  t.match(err, { name: 'DepgateError', status: 404, code: 'SERVER_NOT_FOUND', message: 'SERVER_NOT_FOUND: SERVER_NOT_FOUND happened', problem: { instance: '/x' } })
  // The Apple list refused too: no second fallback.
  const refused = fake(() => ({ status: 409, body: problem(409, 'INVENTORY_DISABLED') }))
  await t.rejects(collect(devicePages(refused.client, 'default', { query: { source: 'apple' } })), { code: 'INVENTORY_DISABLED' })
})

t.test('a body that is no problem still gives a status and a code', async (t) => {
  const { client } = fake(() => ({ status: 502, body: 'Bad Gateway', type: 'text/plain' }))
  await t.rejects(collect(devicePages(client, 'default')), { status: 502, code: 'HTTP_502', problem: undefined, message: 'depgate answered 502' })
  const noDetail = fake(() => ({ status: 400, body: { code: 'X' } }))
  await t.rejects(collect(devicePages(noDetail.client, 'default')), { code: 'HTTP_400' })
})

t.test('change pages follow next_since while more, and go on when following', async (t) => {
  let calls = 0
  const { seen, client } = fake(({ query }) => {
    calls++
    const since = Number(query.since?.[0])
    return { body: { source: 'mirror', changes: [], count: 0, next_since: since + 1, last_seq: 2, more: since < 1 } }
  })
  const pages = await collect(changePages(client, 'default', { since: 0, limit: 10 }))
  t.same(pages.map((p) => p.next_since), [1, 2])
  t.same(seen.map((s) => s.query), [{ since: ['0'], limit: ['10'] }, { since: ['1'], limit: ['10'] }])

  seen.length = 0
  const followed: number[] = []
  const controller = new AbortController()
  for await (const page of changePages(client, 'default', { since: 5, follow: true, signal: controller.signal })) {
    followed.push(page.next_since)
    if (followed.length === 3) break
  }
  t.same(followed, [6, 7, 8], 'caught-up answers do not end a followed feed')
  t.same(seen.map((s) => s.query.wait), [['30'], ['30'], ['30']], 'following long-polls 30 s unless told')
  t.equal(calls, 5)
})

t.test('change pages: a failed answer throws; an answer of the wrong kind too', async (t) => {
  const gone = fake(() => ({ status: 409, body: problem(409, 'SINCE_EXPIRED') }))
  await t.rejects(collect(changePages(gone.client, 'default', { since: 1, wait: 5 })), { code: 'SINCE_EXPIRED' })
  t.same(gone.seen[0]?.query, { since: ['1'], wait: ['5'] })
  const apple = fake(() => ({ body: { source: 'apple', changes: [], count: 0, cursor: 'c', more_to_follow: false } }))
  await t.rejects(collect(changePages(apple.client, 'default', { since: 1 })), /Apple's changes/)
})

t.test('unwrap gives the body or throws; an empty success is undefined', async (t) => {
  const { client } = fake(({ method }) => method === 'DELETE' ? { status: 204, body: '' } : { status: 404, body: problem(404, 'KEY_NOT_FOUND') })
  t.equal(unwrap(await client.DELETE('/v1/keys/{id}', { params: { path: { id: 'k1' } } })), undefined)
  t.throws(() => unwrap({ error: problem(404, 'KEY_NOT_FOUND'), response: new Response(null, { status: 404 }) }), { code: 'KEY_NOT_FOUND' })
  t.same(unwrap({ data: { a: 1 }, response: new Response(null) }), { a: 1 })
})

t.test('header reads a documented header of a response', async (t) => {
  type R = { headers: { 'Retry-After': number, [name: string]: unknown } }
  const res = new Response(null, { status: 429, headers: { 'retry-after': '12' } })
  t.equal(header<R>(res, 'Retry-After'), '12')
  t.equal(header<{ headers: { 'X-Other': string } }>(res, 'X-Other'), undefined)
  // @ts-expect-error a name the response does not document does not compile
  header<R>(res, 'X-Undocumented')
  const limited = new Response(null, { status: 429, headers: { 'retry-after': '3', ratelimit: '"default";r=0;t=3' } })
  t.equal(header<ResponseObject<'/v1/servers', 'get', 429>>(limited, 'Retry-After'), '3')
  t.equal(header<ResponseObject<'/v1/servers', 'get', 429>>(limited, 'RateLimit'), '"default";r=0;t=3')
  // @ts-expect-error 200 is not a 429: no Retry-After there
  header<ResponseObject<'/v1/servers', 'get', 200>>(limited, 'Retry-After')
})
