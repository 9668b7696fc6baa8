/** Transport behaviour against throwaway node:http servers: timeouts, drops, bodies, retries. */
import { createServer } from 'node:net'
import type { Dispatcher } from 'undici'
import t from 'tap'
import { DepResponseError, DepThrottledError, DepTransportError, DepUpstreamError } from '../../src/dep/errors.js'
import { retryPolicy } from '../../src/dep/retry.js'
import { Transport } from '../../src/dep/transport.js'
import { fakeApple, makeClient, send, startServer } from './helpers.js'

const account = { server_name: 'S', server_uuid: 'U' }

t.test('API calls carry the documented headers; /session too', async (t) => {
  const { url, seen } = await startServer(t, fakeApple((req, res) => send(res, 200, account)))
  const { client } = makeClient(t, url, { userAgent: 'depgate/test', protocolVersion: 7 })
  t.match(await client.getAccount(), account)
  const [session, call] = seen
  t.match(session.headers, {
    authorization: /^OAuth realm="ADM", oauth_consumer_key="CK_test", .*oauth_signature_method="HMAC-SHA1"/,
    'content-type': 'application/json;charset=UTF8',
    'user-agent': 'depgate/test',
    'x-server-protocol-version': '7'
  })
  t.equal(session.method, 'GET')
  t.match(call.headers, { 'x-adm-auth-session': 'S1', 'user-agent': 'depgate/test', 'x-server-protocol-version': '7', accept: 'application/json;charset=UTF8' })
  t.notOk(call.headers.authorization)
  t.notOk(call.headers['content-type'], 'no body, no content-type')
})

t.test('the default User-Agent is depgate/<package version>', async (t) => {
  const { url, seen } = await startServer(t, fakeApple((req, res) => send(res, 200, account)))
  const { client } = makeClient(t, url)
  await client.getAccount()
  t.match(seen[1].headers['user-agent'], /^depgate\/\d+\.\d+\.\d+/)
  t.equal(seen[1].headers['x-server-protocol-version'], '10')
})

t.test('a rotated X-ADM-Auth-Session header (any case) replaces the session', async (t) => {
  let n = 0
  const { url, seen } = await startServer(t, fakeApple((req, res) => send(res, 200, account, { 'X-Adm-Auth-Session': `R${++n}` })))
  const { client, events } = makeClient(t, url)
  await client.getAccount()
  await client.getAccount()
  await client.getAccount()
  t.same(seen.map((s) => s.headers['x-adm-auth-session']), [undefined, 'S1', 'R1', 'R2'])
  t.same(events.filter((e) => e.type === 'session').map((e) => e.type === 'session' && e.outcome), ['acquired', 'rotated', 'rotated', 'rotated'])
})

t.test('a repeated response header reaches the pass-through joined with ", "', async (t) => {
  const { url } = await startServer(t, fakeApple((req, res) => {
    res.setHeader('Set-Cookie', ['a=1', 'b=2'])
    send(res, 200, account)
  }))
  const { client } = makeClient(t, url)
  const res = await client.request('GET', '/account')
  t.equal(res.headers['set-cookie'], 'a=1, b=2')
  t.equal(res.headers['content-type'], 'application/json;charset=UTF8')
})

t.test('no answer before headersMs → TIMEOUT, retried for reads', async (t) => {
  const { url, seen } = await startServer(t, fakeApple(() => { /* never answers */ }))
  const { client, delays } = makeClient(t, url, { timeouts: { headersMs: 100 }, retry: { retries: 1 } })
  await t.rejects(client.getAccount(), { constructor: DepTransportError, code: 'TIMEOUT', status: 0, endpoint: 'account' })
  t.equal(seen.length, 3, 'session + 2 attempts')
  t.equal(delays.length, 1)
})

t.test('a body that stalls → TIMEOUT', async (t) => {
  const { url } = await startServer(t, fakeApple((req, res) => {
    res.writeHead(200, { 'content-type': 'application/json', 'content-length': '100' })
    res.write('{"server_')
  }))
  const { client } = makeClient(t, url, { timeouts: { bodyMs: 100 }, retry: { retries: 0 } })
  await t.rejects(client.getAccount(), { constructor: DepTransportError, code: 'TIMEOUT' })
})

t.test('a dropped connection → NETWORK_ERROR after retries; reads recover when it comes back', async (t) => {
  let drops = 3
  const { url } = await startServer(t, fakeApple((req, res) => {
    if (drops-- > 0) res.socket?.destroy()
    else send(res, 200, account)
  }))
  const { client, events, delays } = makeClient(t, url, { retry: { retries: 3, baseDelayMs: 100 } })
  t.match(await client.getAccount(), account)
  t.same(delays, [50, 100, 200], 'full jitter (random 0.5) under 100 · 2^n')
  t.same(events.filter((e) => e.type === 'retry').map((e) => e.type === 'retry' && e.reason), ['NETWORK_ERROR', 'NETWORK_ERROR', 'NETWORK_ERROR'])
  drops = 10
  await t.rejects(client.getAccount(), { constructor: DepTransportError, code: 'NETWORK_ERROR', message: /failed on the network/ })
})

t.test('a body shorter than its Content-Length → NETWORK_ERROR; half a JSON body → INVALID_RESPONSE', async (t) => {
  let mode = 'short'
  const { url } = await startServer(t, fakeApple((req, res) => {
    const body = JSON.stringify(account)
    if (mode === 'short') {
      res.writeHead(200, { 'content-length': String(body.length) })
      res.end(body.slice(0, 10))
      res.socket?.destroy()
    } else {
      send(res, 200, body.slice(0, body.length / 2))
    }
  }))
  const { client } = makeClient(t, url, { retry: { retries: 0 } })
  await t.rejects(client.getAccount(), { constructor: DepTransportError, code: 'NETWORK_ERROR' })
  mode = 'half'
  await t.rejects(client.getAccount(), { constructor: DepResponseError, code: 'INVALID_RESPONSE', status: 200 })
})

t.test('a 503 burst with Retry-After is waited out', async (t) => {
  let burst = 2
  const { url } = await startServer(t, fakeApple((req, res) => {
    if (burst-- > 0) send(res, 503, 'SERVICE_UNAVAILABLE', { 'retry-after': '1' })
    else send(res, 200, account)
  }))
  const { client, events, delays } = makeClient(t, url)
  t.match(await client.getAccount(), account)
  t.same(delays, [1000, 1000])
  t.same(events.filter((e) => e.type === 'retry').map((e) => e.type === 'retry' && e.reason), ['HTTP_503', 'HTTP_503'])
  t.same(events.filter((e) => e.type === 'request').map((e) => e.type === 'request' && e.status), [200, 503, 503, 200])
})

t.test('Retry-After beyond maxRetryAfterMs fails fast with DepThrottledError', async (t) => {
  const { url, seen } = await startServer(t, fakeApple((req, res) => send(res, 429, 'TOO_MANY_REQUESTS', { 'retry-after': '3600' })))
  const { client, delays } = makeClient(t, url, { retry: { maxRetryAfterMs: 60_000 } })
  await t.rejects(client.getAccount(), { constructor: DepThrottledError, code: 'TOO_MANY_REQUESTS', status: 429, retryAfterSeconds: 3600 })
  t.equal(seen.length, 2, 'no retry')
  t.same(delays, [])
})

t.test('429 and 5xx without Retry-After back off, then surface typed errors', async (t) => {
  let status = 429
  const { url, seen } = await startServer(t, fakeApple((req, res) => send(res, status, status === 502 ? 'BAD_GATEWAY_CODE' : '')))
  const { client, delays } = makeClient(t, url, { retry: { retries: 2, baseDelayMs: 10 } })
  await t.rejects(client.getAccount(), { constructor: DepThrottledError, code: 'TOO_MANY_REQUESTS' })
  t.same(delays, [5, 10])
  status = 500
  await t.rejects(client.getAccount(), { constructor: DepUpstreamError, code: 'UPSTREAM_500', status: 500 })
  status = 502
  await t.rejects(client.getAccount(), { constructor: DepUpstreamError, code: 'BAD_GATEWAY_CODE', status: 502 })
  status = 501
  await t.rejects(client.getAccount(), { constructor: DepUpstreamError, code: 'UPSTREAM_501' })
  t.equal(seen.length, 1 + 3 + 3 + 3 + 1, '501 is not retried')
})

t.test('profile definition is never retried once it may have reached Apple', async (t) => {
  let mode = 'drop'
  const { url, seen } = await startServer(t, fakeApple((req, res) => {
    if (mode === 'drop') res.socket?.destroy()
    else send(res, 503, '', { 'retry-after': '0' })
  }))
  const { client, delays } = makeClient(t, url)
  const profile = { profile_name: 'P', url: 'https://mdm.example.com/enroll' }
  await t.rejects(client.defineProfile(profile), { constructor: DepTransportError, code: 'NETWORK_ERROR', endpoint: 'define_profile' })
  mode = '503'
  await t.rejects(client.defineProfile(profile), { constructor: DepThrottledError, code: 'UPSTREAM_503', status: 503 })
  t.equal(seen.filter((s) => s.url === '/profile').length, 2)
  t.same(delays, [])
})

t.test('connect errors that prove nothing was sent are retried even for unsafe requests', async (t) => {
  // A port that was just free: nothing listens there, so connecting is refused.
  const probe = createServer()
  await new Promise<void>((resolve) => probe.listen(0, '127.0.0.1', resolve))
  const port = (probe.address() as { port: number }).port
  await new Promise((resolve) => probe.close(resolve))
  const delays: number[] = []
  const transport = new Transport({
    baseUrl: new URL(`http://127.0.0.1:${port}`),
    connections: 1,
    timeouts: { connectMs: 1000, headersMs: 1000, bodyMs: 1000 },
    retry: retryPolicy({ retries: 2, sleep: async (ms) => { delays.push(ms) }, random: () => 0 }),
    now: Date.now,
    emit: () => {}
  })
  t.teardown(async () => await transport.close())
  await t.rejects(
    transport.exchange({ endpoint: 'define_profile', method: 'POST', path: '/profile', body: '{}', retry: 'unsent-only', headers: () => ({}) }),
    { constructor: DepTransportError, code: 'NETWORK_ERROR', message: /ECONNREFUSED/ }
  )
  t.equal(delays.length, 2)
})

t.test('an unexpected failure from a dispatcher is a NETWORK_ERROR that names no code', async (t) => {
  const broken = { dispatch: () => { throw new Error('boom') }, close: async () => {} } as unknown as Dispatcher
  const transport = new Transport({
    baseUrl: new URL('http://127.0.0.1:9'),
    dispatcher: broken,
    connections: 1,
    timeouts: { connectMs: 1, headersMs: 1, bodyMs: 1 },
    retry: retryPolicy({ retries: 0 }),
    now: Date.now,
    emit: () => {}
  })
  await t.rejects(
    transport.exchange({ endpoint: 'account', method: 'GET', path: '/account', retry: 'safe', headers: () => ({}) }),
    { constructor: DepTransportError, code: 'NETWORK_ERROR', message: /\(unknown\)/ }
  )
})

t.test('repeated response headers are joined', async (t) => {
  const { url } = await startServer(t, fakeApple((req, res) => {
    res.setHeader('set-cookie', ['a=1', 'b=2'])
    send(res, 200, account)
  }))
  const { client } = makeClient(t, url)
  t.equal((await client.request('GET', '/account')).headers['set-cookie'], 'a=1, b=2')
})

t.test('an injected dispatcher is used and left open', async (t) => {
  const { Agent } = await import('undici')
  const agent = new Agent()
  t.teardown(async () => await agent.close())
  const { url, seen } = await startServer(t, fakeApple((req, res) => send(res, 200, account)))
  const { client } = makeClient(t, url, { dispatcher: agent })
  await client.getAccount()
  await client.close()
  t.equal(seen.length, 2)
  t.notOk(agent.closed)
})

t.test('aborting a drain cancels the request in flight', async (t) => {
  const ac = new AbortController()
  // Hangs: the abort comes once the request is in flight.
  const { url } = await startServer(t, fakeApple(() => { ac.abort(new Error('stop')) }))
  const { client } = makeClient(t, url)
  const drain = client.drainFetch({ signal: ac.signal })
  await t.rejects(drain.next(), { message: 'stop' })
  await t.rejects(client.drainFetch({ signal: ac.signal }).next(), { message: 'stop' }, 'already aborted: no request')
})

t.test('an abort during a backoff pause stops the retries', async (t) => {
  const { url, seen } = await startServer(t, fakeApple((req, res) => send(res, 500, '')))
  const ac = new AbortController()
  const { client } = makeClient(t, url, { retry: { sleep: async () => { ac.abort(new Error('bye')) } } })
  await t.rejects(client.fetchDevices({}, ac.signal), { message: 'bye' })
  t.equal(seen.length, 2)
})
