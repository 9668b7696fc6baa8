import { once } from 'node:events'
import { connect, type AddressInfo, type Socket } from 'node:net'
import type { FastifyInstance } from 'fastify'
import t, { type Test } from 'tap'
import { buildTestApp } from './helper.js'
import { buildServer, clientErrorHandler, frameworkErrors, genReqId, REDACT_PATHS } from '../src/server.js'
import { loadConfig } from '../src/config.js'
import { tempDir } from './helper.js'
import { DEPSIM_CREDENTIALS } from '../src/simulator/index.js'

t.test('request ids: a plain incoming X-Request-Id is kept, anything else replaced', async (t) => {
  t.equal(genReqId({ headers: { 'x-request-id': 'abc-123' } }), 'abc-123')
  t.match(genReqId({ headers: { 'x-request-id': 'has spaces\nand newlines' } }), /^[0-9a-f-]{36}$/)
  t.match(genReqId({ headers: {} }), /^[0-9a-f-]{36}$/)
  const { app } = await buildTestApp(t, { simulator: false })
  const res = await app.inject({ url: '/healthz', headers: { 'x-request-id': 'trace-42' } })
  t.equal(res.headers['x-request-id'], 'trace-42')
})

t.test('logs never carry the admin key, API keys, authorization or token secrets', async (t) => {
  const { app, adminKey, auth, logs, createKey } = await buildTestApp(t, { captureLogs: true, env: { DEPGATE_LOG_LEVEL: 'trace' } })
  const key = await createKey('admin')
  await app.inject({ url: '/v1/servers', headers: auth() })
  await app.inject({ url: '/v1/servers', headers: auth(key) })
  await app.inject({ url: '/v1/servers', headers: auth(adminKey + 'x') })
  await app.inject({ url: '/v1/servers/default/account', headers: auth() })
  const created = await app.inject({ method: 'POST', url: '/v1/keys', headers: auth(), payload: { label: 'l', scope: 'read' } })
  await app.inject({ method: 'PUT', url: '/v1/servers/other', headers: auth(), payload: { token: { consumer_key: 'CK_1', consumer_secret: 'CS_topsecret', access_token: 'AT_topsecret', access_secret: 'AS_topsecret' } } })
  // Something a future route might log by mistake: the redaction must catch it.
  app.log.info({ token: DEPSIM_CREDENTIALS, access_secret: 'AS_topsecret', req: { headers: { authorization: `Bearer ${adminKey}` } } }, 'careless')
  const all = logs.join('\n')
  t.ok(logs.length > 6, 'logs were captured (one access line per request, and more)')
  t.match(all, /"reqId"/, 'request ids in logs')
  for (const secret of [adminKey, key, created.json().key, 'topsecret', DEPSIM_CREDENTIALS.consumer_secret, DEPSIM_CREDENTIALS.access_secret, DEPSIM_CREDENTIALS.access_token, 'Bearer ']) {
    t.notOk(all.includes(secret), `no ${secret.slice(0, 6)}… in logs`)
  }
  t.match(all, /\[REDACTED\]/)
  t.ok(REDACT_PATHS.includes('req.headers.authorization'))
})

t.test('without a given store the app opens one under the data dir and closes it', async (t) => {
  const dataDir = tempDir(t)
  const app = await buildServer(loadConfig({ DEPGATE_DATA_DIR: dataDir, DEPGATE_LOG_LEVEL: 'silent' }))
  await app.store.ping()
  t.same(app.depServers.list(), [])
  await app.close()
  await t.rejects(app.store.ping(), 'closed with the app')
  await t.rejects(buildServer(loadConfig({ DEPGATE_DATABASE_URL: 'postgres://depgate:s3cret@127.0.0.1:1/x', DEPGATE_LOG_LEVEL: 'silent' })), /^cannot connect to PostgreSQL at postgres:\/\/depgate:\*\*\*@127\.0\.0\.1:1\/x: /)
})

/** Writes raw bytes to the listening app and collects everything until the server closes the socket. */
async function rawExchange (app: FastifyInstance, bytes: string): Promise<string> {
  const { port } = app.server.address() as AddressInfo
  const socket = connect(port, '127.0.0.1')
  socket.write(bytes)
  let out = ''
  socket.on('data', (chunk: Buffer) => { out += chunk.toString() })
  await once(socket, 'close')
  return out
}

t.test('too-large headers and malformed HTTP are answered as problem+json, without echoing the input', async (t) => {
  const { app } = await buildTestApp(t, { simulator: false })
  await app.listen({ port: 0, host: '127.0.0.1' })
  const big = await rawExchange(app, `GET /healthz HTTP/1.1\r\nHost: x\r\nX-Big: ${'s3cr3t'.repeat(4000)}\r\n\r\n`)
  t.match(big, /^HTTP\/1\.1 431 Request Header Fields Too Large\r\n/)
  t.match(big, /\r\nContent-Type: application\/problem\+json\r\n/)
  const bigBody = JSON.parse(big.split('\r\n\r\n')[1]) as Record<string, unknown>
  t.same(bigBody, { type: 'urn:depgate:problem:request-header-fields-too-large', title: 'Request Header Fields Too Large', status: 431, code: 'REQUEST_HEADER_FIELDS_TOO_LARGE', detail: 'The request line or headers are too large.' })
  t.notOk(big.includes('s3cr3t'))

  const bad = await rawExchange(app, 'GET /healthz HTTP/1.1\r\nAuthorization Bearer s3cr3t\r\n\r\n')
  t.match(bad, /^HTTP\/1\.1 400 Bad Request\r\n/)
  t.match(JSON.parse(bad.split('\r\n\r\n')[1]), { status: 400, code: 'BAD_REQUEST' })
  t.notOk(bad.includes('s3cr3t'))
})

t.test('clientErrorHandler: 408 on a request timeout, nothing on a reset or an unwritable socket', async (t) => {
  const { app } = await buildTestApp(t, { simulator: false })
  const fakeSocket = (writable: boolean, destroyed = false) => {
    const written: string[] = []
    let closed = 0
    const socket = { writable, destroyed, write (s: string) { written.push(s) }, destroy () { closed++ } }
    return { socket: socket as unknown as Socket, written, closed: () => closed }
  }
  const timeout = fakeSocket(true)
  clientErrorHandler.call(app, Object.assign(new Error('t'), { code: 'ERR_HTTP_REQUEST_TIMEOUT' }), timeout.socket)
  t.match(timeout.written[0], /^HTTP\/1\.1 408 Request Timeout\r\n[^]*"code":"REQUEST_TIMEOUT"/)
  t.equal(timeout.closed(), 1)
  const reset = fakeSocket(true)
  clientErrorHandler.call(app, Object.assign(new Error('r'), { code: 'ECONNRESET' }), reset.socket)
  const gone = fakeSocket(true, true)
  clientErrorHandler.call(app, new Error('no code'), gone.socket)
  t.same([reset.written, reset.closed(), gone.written, gone.closed()], [[], 0, [], 0])
  const readOnly = fakeSocket(false)
  clientErrorHandler.call(app, new Error('no code'), readOnly.socket)
  t.same([readOnly.written, readOnly.closed()], [[], 1])
})

t.test('close does not wait for idle keep-alive or half-sent requests', async (t) => {
  const { app } = await buildTestApp(t, { simulator: false })
  await app.listen({ port: 0, host: '127.0.0.1' })
  const { port } = app.server.address() as AddressInfo
  const idle = connect(port, '127.0.0.1')
  idle.write('GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n')
  await once(idle, 'data') // answered; the connection stays open (keep-alive, 72 s)
  const stuck = connect(port, '127.0.0.1')
  stuck.write('GET /healthz HTTP/1.1\r\nHost: x\r\n')
  await once(stuck, 'connect')
  // Being cut off may surface as a reset (events.once would reject on it): that is the point.
  const closed = [idle, stuck].map(async (s) => await new Promise((resolve) => {
    s.on('error', () => {})
    s.once('close', resolve)
  }))
  await Promise.all([app.close(), ...closed])
  t.pass('closed with both connections open')
})

/**
 * A listening app with one `GET …/account` in flight on a raw keep-alive socket: the simulator
 * delays its answer by `ms`, and this resolves once depgate is waiting on it.
 */
async function accountInFlight (t: Test, ms: number) {
  const built = await buildTestApp(t)
  const { app, sim, auth } = built
  await app.listen({ port: 0, host: '127.0.0.1' })
  const { port } = app.server.address() as AddressInfo
  const simUrl = sim?.url ?? ''
  await fetch(`${simUrl}/_sim/faults`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ endpoint: 'account', kind: 'latency', ms }) })
  const socket = connect(port, '127.0.0.1')
  const send = (): void => { socket.write(`GET /v1/servers/default/account HTTP/1.1\r\nHost: x\r\nAuthorization: ${auth().authorization}\r\n\r\n`) }
  send()
  const received = { text: '' }
  socket.on('data', (chunk: Buffer) => { received.text += chunk.toString() })
  // Wait until depgate is waiting on the simulator, i.e. the request is in flight.
  while (((await (await fetch(`${simUrl}/_sim/stats`)).json()) as { requests: { account?: number } }).requests.account !== 1) {
    await new Promise((resolve) => setImmediate(resolve))
  }
  return { ...built, socket, send, received }
}

t.test('close lets a request in flight finish, then closes its keep-alive connection', async (t) => {
  const { app, socket, received } = await accountInFlight(t, 200)
  await Promise.all([app.close(), once(socket, 'close')])
  t.match(received.text, /^HTTP\/1\.1 200 OK\r\n/)
})

t.test('a request that arrives on an open connection while depgate closes is a 503 problem with Retry-After', async (t) => {
  const { app, logs, socket, send, received } = await accountInFlight(t, 300)
  const closing = app.close()
  // Pipelined behind the request in flight: it reaches depgate after closing began.
  send()
  await Promise.all([closing, once(socket, 'close')])
  const [first, second] = received.text.split(/(?=HTTP\/1\.1 )/)
  t.match(first, /^HTTP\/1\.1 200 OK\r\n/, 'the request in flight is answered')
  t.match(second, /^HTTP\/1\.1 503 Service Unavailable\r\n/)
  t.match(second, /\r\ncontent-type: application\/problem\+json/i)
  t.match(second, /\r\nretry-after: 5\r\n/i)
  t.match(second, /\r\nconnection: close\r\n/i)
  t.match(second, /\r\nx-request-id: [\w-]+\r\n/i, 'X-Request-Id, as on every answer')
  t.match(second, /\r\ncache-control: no-store\r\n/i, 'and the security headers, as on every answer')
  t.match(second, /\r\nx-content-type-options: nosniff\r\n/i)
  t.match(JSON.parse(second.slice(second.indexOf('\r\n\r\n') + 4)), { status: 503, code: 'SHUTTING_DOWN', detail: /shutting down/ })
  t.ok(logs.some((l) => /"level":40.*"code":"SHUTTING_DOWN".*"msg":"refused: shutting down"/.test(l)), 'a warning that says why, not an upstream failure')
})

t.test('a URL with broken percent-encoding is a 400 problem that echoes nothing', async (t) => {
  const { app, auth } = await buildTestApp(t, { simulator: false })
  const res = await app.inject({ url: '/v1/servers/default/devices/%E0%A4%A', headers: auth() })
  t.equal(res.statusCode, 400)
  t.match(res.headers['content-type'], /application\/problem\+json/)
  t.match(res.json(), { status: 400, code: 'BAD_URL' })
  t.notMatch(res.body, /%E0/)
  t.match(res.headers, { 'x-request-id': String, 'x-content-type-options': 'nosniff', 'cache-control': 'no-store' }, 'as on every answer, though no hook ran')
})

t.test('any other refusal before routing (an async route constraint failing) is a plain 400 BAD_REQUEST problem', async (t) => {
  const sent: { status?: number, type?: string, body?: unknown, headers: Record<string, string> } = { headers: {} }
  const reply = {
    code (status: number) { sent.status = status; return this },
    header (name: string, value: string) { sent.headers[name] = value; return this },
    headers (values: Record<string, string>) { Object.assign(sent.headers, values); return this },
    type (type: string) { sent.type = type; return this },
    send (body: unknown) { sent.body = body; return this }
  }
  const error = Object.assign(new Error('constraint failed'), { code: 'FST_ERR_ASYNC_CONSTRAINT' })
  frameworkErrors(error as Parameters<typeof frameworkErrors>[0], { id: 'req-1' } as Parameters<typeof frameworkErrors>[1], reply as unknown as Parameters<typeof frameworkErrors>[2])
  t.equal(sent.status, 400)
  t.match(sent.type, /problem\+json/)
  t.match(sent.body, { code: 'BAD_REQUEST', status: 400 })
  t.same(sent.headers, { 'x-request-id': 'req-1', 'x-content-type-options': 'nosniff', 'cache-control': 'no-store' }, 'what the app\'s hooks put on every other answer')
})
