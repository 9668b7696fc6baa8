/**
 * No secret leaves depgate: the real server on loopback in front of the simulator (which knows the
 * same distinctive server token), logs captured at `trace`, and a scenario list generated from the
 * registered routes (so a new route is covered without editing this file) crossed with every kind
 * of caller, plus Apple's failures, cursor errors, bad input, the pass-through and its /session
 * refusals. Every response (status line, headers, body), every log line and the committed
 * openapi.json are then scanned for any 16-character run of any secret in any encoding: the
 * server token's four values, DEPGATE_ADMIN_KEY, the API keys created (outside the one answer that
 * hands each out), a wrong key, every session token the simulator issued (rotated ones included),
 * DEPGATE_SECRET_KEY, the webhook secret, and every private key depgate generated for a server's
 * token certificate (read back from the store after each call that may have staged or promoted one;
 * their certificates may be shown, their private parts never), and on the org side every org's
 * private key (each PEM form), every AxM access token and every client assertion depgate signed.
 */
import { readFileSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import type { FastifyInstance, RouteOptions } from 'fastify'
import t from 'tap'
import { request } from 'undici'
import { loadConfig } from '../../src/config.js'
import { buildServer } from '../../src/server.js'
import { startSimulator } from '../../src/simulator/index.js'
import { logCapture } from '../helper.js'
import { encryptToken, NO_OPENSSL, opensslKeyPair } from '../tokens/helpers.js'
import { defaultOrgClientFactory } from '../../src/orgs/registry.js'
import { fillPath, LEAK_ADMIN_KEY, LEAK_SECRET_KEY, LEAK_TOKEN, LEAK_WEBHOOK_SECRET, type PathValues, PRIVATE_KEY_PEM, privateKeySecrets, SecretScanner } from './leak-kit.js'
import { assertionRecorder, makeAccounts, orgBody, orgFailures, orgSecrets, readOrg } from './leak-orgs.js'

interface Seen { where: string, text: string }

t.test('no secret in any response, header, log line or the OpenAPI document', async (t) => {
  const sim = await startSimulator({ devices: 12, credentials: LEAK_TOKEN, rotateSessions: true })
  const started: FastifyInstance[] = []
  // depgate before the simulator (its pool holds connections to it); sockets a cut stream left are ended outright.
  t.teardown(async () => {
    for (const gw of started) {
      gw.server.closeAllConnections()
      await gw.close()
    }
    await sim.close()
    await recorder.dispatcher.close()
  })
  const logs = logCapture()
  const routes: Array<{ method: string, url: string }> = []
  const config = loadConfig({
    DEPGATE_ADMIN_KEY: LEAK_ADMIN_KEY,
    DEPGATE_DATA_DIR: t.testdir(),
    DEPGATE_RATE_LIMIT: '1000000',
    // Every route is called with wrong, revoked and malformed keys too: the guessing limit must not answer first.
    DEPGATE_AUTH_FAILURE_LIMIT: '1000000',
    DEPGATE_LOG_LEVEL: 'trace',
    DEPGATE_SIMULATOR: 'off',
    DEPGATE_ALLOW_DISOWN: 'true',
    DEPGATE_SECRET_KEY: LEAK_SECRET_KEY,
    DEPGATE_TOKEN_WEBHOOK_SECRET: LEAK_WEBHOOK_SECRET,
    // Token events (terms not signed, expiry) are sent here and refused: the failure path is logged.
    DEPGATE_TOKEN_WEBHOOK_URL: `${sim.url}/_sim/no-such-webhook`,
    DEPGATE_ORG_REQUEST_BUDGET: '10000'
  })
  const recorder = assertionRecorder()
  const app = await buildServer(config, {
    defaultServer: { token: { ...LEAK_TOKEN }, baseUrl: sim.url },
    depClientOptions: {
      retry: { retries: 1, baseDelayMs: 1, maxDelayMs: 5, maxRetryAfterMs: 5 },
      timeouts: { connectMs: 1000, headersMs: 300, bodyMs: 2000 }
    },
    logStream: logs.stream,
    orgs: { clientFactory: (o) => defaultOrgClientFactory(o, { dispatcher: recorder.dispatcher, retryDeadlineMs: 300, retryDelayMs: 5, maxRetryAfterMs: 5 }) },
    onRoute: (r: RouteOptions) => {
      for (const method of [r.method].flat()) routes.push({ method, url: r.url })
    }
  })
  started.push(app)
  await app.listen({ host: '127.0.0.1', port: 0 })
  const address = app.server.address()
  const base = `http://127.0.0.1:${typeof address === 'object' && address !== null ? address.port : 0}`

  // Every session token the simulator has handed out (rotation issues one per answer).
  const sessions = new Set<string>()
  const sessionStore = sim.app.sim.sessions
  const noteSessions = () => { for (const token of sessionStore['sessions'].keys()) sessions.add(token) }

  // Every key pair depgate made for a server, by private key PEM: read back after each call that may have staged or promoted one.
  const keyPairs = new Map<string, { server: string, certificatePem: string }>()
  async function noteKeyPairs (path: string) {
    const server = /^\/v1\/servers\/([^/?]+)\/(certificate|token)/.exec(path)?.[1]
    if (server === undefined) return
    const keys = await app.store.servers.getKeys(decodeURIComponent(server))
    for (const pair of [keys.staged, keys.current]) {
      if (pair !== undefined) keyPairs.set(pair.privateKeyPem, { server, certificatePem: pair.certificatePem })
    }
  }

  const seen: Seen[] = []
  /** The answers allowed to hold a given secret: the creation of an API key shows it once. */
  const allowed = new Map<number, string>()

  async function call (method: string, path: string, o: { key?: string | null, auth?: string, body?: unknown, raw?: string, headers?: Record<string, string> } = {}) {
    const headers: Record<string, string> = { ...o.headers }
    if (o.auth !== undefined) headers.authorization = o.auth
    else if (o.key !== null) headers.authorization = `Bearer ${o.key ?? LEAK_ADMIN_KEY}`
    const body = o.raw ?? (o.body === undefined ? undefined : JSON.stringify(o.body))
    if (body !== undefined && headers['content-type'] === undefined) headers['content-type'] = 'application/json'
    const res = await request(`${base}${path}`, { method: method as 'GET', headers, body })
    // Read chunk by chunk: a stream cut off on purpose (NDJSON after a failure) still shows what it sent.
    let text = ''
    try {
      for await (const chunk of res.body) text += String(chunk)
    } catch (err) {
      text += `\n[cut: ${(err as Error).message}]`
    }
    seen.push({ where: `${method} ${path} → ${res.statusCode} (body)`, text })
    seen.push({ where: `${method} ${path} → ${res.statusCode} (headers)`, text: JSON.stringify(res.headers) })
    noteSessions()
    await noteKeyPairs(path)
    return { status: res.statusCode, text, index: seen.length - 2 }
  }
  const simCall = async (method: string, path: string, body?: unknown) => {
    const res = await request(`${sim.url}${path}`, { method: method as 'GET', headers: body === undefined ? {} : { 'content-type': 'application/json' }, body: body === undefined ? undefined : JSON.stringify(body) })
    return await res.body.json() as any
  }

  // API keys, created through the API: their one creation answer is the only place each may appear.
  const keys: Record<string, string> = {}
  for (const scope of ['read', 'write', 'admin', 'revoked'] as const) {
    const res = await call('POST', '/v1/keys', { body: { label: `leak ${scope}`, scope: scope === 'revoked' ? 'admin' : scope } })
    t.equal(res.status, 201)
    const created = JSON.parse(res.text) as { id: string, key: string }
    keys[scope] = created.key
    allowed.set(res.index, scope)
    if (scope === 'revoked') t.equal((await call('DELETE', `/v1/keys/${created.id}`)).status, 204)
  }
  const throwaway = JSON.parse((await call('POST', '/v1/keys', { body: { label: 'to revoke', scope: 'read' } })).text) as { id: string, key: string }
  allowed.set(seen.length - 2, 'throwaway')
  const [, keyId] = /^dgk_([a-f0-9]{12})_/.exec(keys.read) ?? []
  const wrongKey = `dgk_${keyId}_wrongsecret-leakprobe-0b7d3f9a1c5e8264`

  const devices = (await simCall('GET', '/_sim/devices')).devices as Array<{ serial_number: string }>
  const serial = devices[0].serial_number
  const defined = await call('POST', '/v1/servers/default/profiles', { body: { profile_name: 'Leak', url: 'https://mdm.example.com/enroll', devices: [serial] } })
  const uuid = (JSON.parse(defined.text) as { profile_uuid: string }).profile_uuid
  // A server with the token, for the DELETE route; PUT must not echo the token either way it is sent.
  t.equal((await call('PUT', '/v1/servers/doomed', { body: { token: LEAK_TOKEN, base_url: sim.url } })).status, 201)
  t.equal((await call('PUT', '/v1/servers/doomed', { body: { token: JSON.stringify(LEAK_TOKEN), base_url: sim.url } })).status, 200)
  t.equal((await call('PUT', '/v1/servers/expired', { body: { token: { ...LEAK_TOKEN, access_token_expiry: '2001-01-01T00:00:00Z' }, base_url: sim.url } })).status, 201)

  // Orgs, one per PEM form Apple has shipped, their mirrors refreshed so the org routes answer with devices.
  const accounts = await makeAccounts(sim)
  for (const a of accounts) t.equal((await call('PUT', `/v1/orgs/${a.org}`, { body: orgBody(sim, a) })).status, 201)
  const refreshOrgs = async () => {
    await app.orgs.refresher.tick()
    for (const a of accounts) await app.orgs.refresher.current(a.org)
  }
  await refreshOrgs()
  t.equal((await call('PUT', '/v1/orgs/leakorg-doomed?verify=false', { body: orgBody(sim, accounts[0]) })).status, 201)
  const orgSerial = ((await simCall('GET', '/_sim/axm/devices')).devices as Array<{ serialNumber: string }>)[0].serialNumber

  const bodies: Record<string, unknown> = {
    'PUT /v1/orgs/:org': orgBody(sim, accounts[0]),
    'POST /v1/keys': { label: 'scenario', scope: 'read' },
    'PUT /v1/servers/:server': { token: LEAK_TOKEN, base_url: sim.url },
    'POST /v1/servers/:server/devices/details': { serials: [serial] },
    'POST /v1/servers/:server/profiles': { profile_name: 'Leak', url: 'https://mdm.example.com/enroll' },
    'PUT /v1/servers/:server/profiles/:uuid/devices': { serials: [serial] },
    'DELETE /v1/servers/:server/devices/profile': { serials: [serial] },
    'POST /v1/servers/:server/devices/:serial/activation-lock': { lost_message: 'Lost' },
    'POST /v1/servers/:server/devices/disown': { serials: [devices[devices.length - 1].serial_number], confirm: 'DISOWN 1 DEVICE FROM default' },
    'PUT /v1/servers/:server/account-driven-enrollment': { mdm_service_discovery_url: 'https://mdm.example.com/discovery' }
  }
  const callers: Array<[string, { key?: string | null, auth?: string }]> = [
    ['admin', {}], ['read', { key: keys.read }], ['write', { key: keys.write }], ['created admin', { key: keys.admin }],
    ['revoked', { key: keys.revoked }], ['wrong', { key: wrongKey }], ['none', { key: null }],
    ['malformed', { auth: `Basic ${Buffer.from(`x:${LEAK_ADMIN_KEY}`).toString('base64')}` }]
  ]
  const values: PathValues = { server: 'default', serial, uuid, id: throwaway.id, org: 'leakorg' }
  t.ok(routes.length > 30, 'the routes were seen as they were registered')

  t.test('every route × every caller', async (t) => {
    for (const route of routes) {
      // CONNECT opens a tunnel rather than asking a question: an HTTP client cannot send it as a request.
      if (route.method === 'CONNECT') continue
      const body = bodies[`${route.method} ${route.url}`]
      const server = route.method === 'DELETE' && route.url === '/v1/servers/:server' ? 'doomed' : 'default'
      const org = route.method === 'DELETE' && route.url === '/v1/orgs/:org' ? 'leakorg-doomed' : 'leakorg'
      for (const [, who] of callers) {
        await call(route.method, fillPath(route.url, { ...values, server, org }), { ...who, body })
      }
      // An unknown server, and a body that is not JSON.
      if (route.url.includes(':server')) await call(route.method, fillPath(route.url, { ...values, server: 'nope' }), { body })
      if (body !== undefined) await call(route.method, fillPath(route.url, values), { raw: '{"token": ' })
    }
    t.pass(`${routes.length} routes called`)
  })

  const S = '/v1/servers/default'
  const appleCalls: Array<[string, string, unknown?]> = [
    ['GET', `${S}/account`], ['GET', `${S}/devices`], ['GET', `${S}/devices/${serial}`],
    ['GET', `${S}/devices/changes?cursor=MTc2NDAwMDAwMC0y`], ['POST', `${S}/devices/details`, { serials: [serial] }],
    ['PUT', `${S}/profiles/${uuid}/devices`, { serials: [serial] }], ['GET', `${S}/apple/account`],
    ['GET', `${S}/beta-enrollment-tokens`]
  ]
  async function callApple () {
    for (const [method, path, body] of appleCalls) await call(method, path, { body })
    await call('GET', `${S}/devices`, { headers: { accept: 'application/x-ndjson' } })
  }

  t.test('bad input, including secrets in the wrong places of a request', async (t) => {
    const badTokens: unknown[] = [
      { ...LEAK_TOKEN, consumer_key: undefined },
      { ...LEAK_TOKEN, access_token_expiry: `not a date ${LEAK_TOKEN.access_secret}` },
      { ...LEAK_TOKEN, consumer_secret: 42 },
      `-----BEGIN MESSAGE-----\n${JSON.stringify({ ...LEAK_TOKEN, access_secret: undefined })}\n-----END MESSAGE-----`,
      `{"consumer_key":"${LEAK_TOKEN.consumer_key}","consumer_secret":"${LEAK_TOKEN.consumer_secret}"`,
      LEAK_TOKEN.consumer_secret
    ]
    for (const token of badTokens) await call('PUT', '/v1/servers/bad', { body: { token, base_url: sim.url } })
    await call('PUT', '/v1/servers/bad', { body: { token: LEAK_TOKEN, base_url: `ftp://${LEAK_TOKEN.access_token}` } })
    await call('PUT', '/v1/servers/bad', { body: { token: LEAK_TOKEN, extra: LEAK_TOKEN.access_secret }, headers: { 'content-type': 'text/plain' } })
    await call('PUT', '/v1/servers/bad', { raw: JSON.stringify({ token: LEAK_TOKEN }).slice(0, -3) })
    await call('POST', `${S}/devices/details`, { body: { serials: ['not a serial!', serial, serial] } })
    await call('POST', `${S}/profiles`, { body: { profile_name: 'x', url: 'not a url', is_supervized: true } })
    await call('GET', `${S}/devices/%E0%A4%A`)
    await call('POST', '/v1/keys', { raw: 'x'.repeat(1_100_000) })
    t.pass('bad input sent')
  })

  t.test('the pass-through, and every way to reach /session through it', async (t) => {
    for (const path of ['account', 'session', 'Session', 'SESSION', 'session/', 'session?x=1', '%73ession', './session', 'x/../session', '/session', 'session%2F', 'devices/sync?cursor=x', 'devices']) {
      for (const method of ['GET', 'POST']) await call(method, `${S}/apple/${path}`, { raw: method === 'POST' ? '{}' : undefined })
    }
    await call('POST', `${S}/apple/devices`, { raw: '{"limit": 5}' })
    t.pass('pass-through called')
  })

  t.test('a server token sent as Apple sends it: a .p7m encrypted to the staged certificate', { skip: NO_OPENSSL }, async (t) => {
    const dir = t.testdir()
    const staged = await call('POST', '/v1/servers/uploaded/certificate')
    await call('POST', '/v1/servers/uploaded/certificate')
    await call('GET', '/v1/servers/uploaded/certificate', { headers: { accept: 'application/x-pem-file' } })
    await call('GET', '/v1/servers/uploaded/certificate')
    const certPath = join(dir, 'cert.pem')
    writeFileSync(certPath, (JSON.parse(staged.text) as { certificate_pem: string }).certificate_pem)
    const mime = `Content-Type: text/plain;charset=UTF8\r\n\r\n-----BEGIN MESSAGE-----\r\n${JSON.stringify(LEAK_TOKEN)}\r\n-----END MESSAGE-----\r\n`
    const p7m = readFileSync(encryptToken(dir, [certPath], { plaintext: mime }), 'utf8')
    const put = (text: string, query = '') => call('PUT', `/v1/servers/uploaded/token?base_url=${encodeURIComponent(sim.url)}${query}`, { raw: text, headers: { 'content-type': 'application/pkcs7-mime' } })
    const first = await put(p7m)
    t.equal(first.status, 201, first.text)
    await put(p7m)
    await put(p7m.replace(/[A-Za-z0-9+/]{40}\n/, 'A'.repeat(40) + '\n'))
    await put(p7m, '&verify=false&force=true')
    await call('GET', '/v1/servers/uploaded/account')
    await call('GET', '/v1/servers/uploaded')
    // A renewal: a new pair is staged, and the token encrypted to the current one still opens (with the current key).
    const restaged = await call('POST', '/v1/servers/uploaded/certificate', { headers: { accept: 'application/x-pem-file' } })
    t.equal(restaged.status, 201)
    const again = await put(p7m, '&force=true')
    t.equal(again.status, 200, again.text)
    t.match(JSON.parse(again.text), { key: 'current' })
    await call('GET', '/v1/servers/uploaded/certificate')
    // Encrypted to a certificate depgate never made, or sent to a server with no key pair.
    const foreign = opensslKeyPair(dir, 'foreign')
    const stranger = readFileSync(encryptToken(dir, [foreign.certPath], { plaintext: mime }), 'utf8')
    t.equal((await put(stranger)).status, 422)
    const noPair = await call('PUT', `/v1/servers/no-pair/token?base_url=${encodeURIComponent(sim.url)}`, { raw: p7m, headers: { 'content-type': 'application/pkcs7-mime' } })
    t.equal(noPair.status, 409, noPair.text)
    t.ok(keyPairs.size >= 3, `${keyPairs.size} key pairs made by depgate are watched`)
  })

  t.test('the org routes, bad accounts, and Apple\'s organisation API failing in every way', async (t) => {
    for (const a of accounts) await readOrg(call, a.org, orgSerial)
    const listed = await call('GET', '/v1/orgs/leakorg-sec1/devices?limit=1')
    t.match({ status: listed.status, body: JSON.parse(listed.text) }, { status: 200, body: { devices: [{ serial_number: String }] } }, 'the sec1 org\'s mirror answers')
    t.equal((await call('GET', `/v1/orgs/leakorg/devices/${orgSerial}?source=apple`)).status, 200, 'a live read from Apple')
    await orgFailures(sim, call, accounts, orgSerial, refreshOrgs)
    t.ok(recorder.assertions.size >= accounts.length, `${recorder.assertions.size} client assertions watched`)
    t.ok(sim.app.sim.axm.auth.tokens.size > accounts.length, `${sim.app.sim.axm.auth.tokens.size} access tokens watched`)
  })

  // Last of the scenarios that reach Apple: the clock jump for the expired cursor leaves the simulator 8 days ahead.
  t.test('Apple failing in every way', async (t) => {
    const faults: unknown[] = [
      { kind: 'status', status: 403, code: 'T_C_NOT_SIGNED' },
      { kind: 'status', status: 403, code: 'ACCESS_DENIED' },
      { kind: 'status', status: 401 },
      { kind: 'status', status: 500 },
      { kind: 'status', status: 503, retryAfter: 1 },
      { kind: 'status', status: 429, retryAfter: 1 },
      { kind: 'drop' },
      { kind: 'truncate' },
      { kind: 'content_type' },
      { kind: 'same_cursor' },
      { kind: 'latency', ms: 700 }
    ]
    for (const fault of faults) {
      await simCall('POST', '/_sim/faults', { endpoint: '*', times: 0, ...fault as object })
      await callApple()
      await simCall('DELETE', '/_sim/faults')
    }
    for (const fault of [{ kind: 'status', status: 403, code: 'T_C_NOT_SIGNED' }, { kind: 'status', status: 401 }, { kind: 'status', status: 400, code: 'OAUTH_PROBLEM' }]) {
      await simCall('POST', '/_sim/sessions/expire')
      await simCall('POST', '/_sim/faults', { endpoint: 'session', times: 0, ...fault })
      await call('GET', `${S}/account`)
      await simCall('DELETE', '/_sim/faults')
    }
    await simCall('PATCH', '/_sim/config', { termsSigned: false })
    await simCall('POST', '/_sim/sessions/expire')
    await callApple()
    await simCall('PATCH', '/_sim/config', { termsSigned: true, quoteErrors: true })
    await call('GET', `${S}/devices/changes?cursor=not-a-cursor`)
    await simCall('PATCH', '/_sim/config', { quoteErrors: false })
    await call('GET', `${S}/devices/changes?cursor=not-a-cursor`)
    await call('GET', `${S}/devices/changes`)
    const cursor = (JSON.parse((await call('GET', `${S}/devices`)).text) as { cursor: string }).cursor
    await simCall('POST', '/_sim/clock', { advanceMs: 8 * 86_400_000 })
    await call('GET', `${S}/devices/changes?cursor=${encodeURIComponent(cursor)}`)
    await call('GET', '/v1/servers/expired/account')
    t.pass('faults played')
  })

  t.test('the audit log: every entry through GET /v1/audit, long serial lists through their reference, and the rows as stored', async (t) => {
    // More than 1000 serials: the list is kept apart and read back through serials_ref.
    await call('DELETE', `${S}/devices/profile`, { body: { serials: Array.from({ length: 1001 }, (_, i) => `C02L${String(i).padStart(8, '0')}`) } })
    let token: string | null = null
    let entries = 0
    let refs = 0
    do {
      const res = await call('GET', `/v1/audit?limit=500${token === null ? '' : `&page_token=${token}`}`)
      const page = JSON.parse(res.text) as { entries: Array<{ serials_ref: string | null }>, next_page_token: string | null }
      entries += page.entries.length
      for (const e of page.entries) {
        if (e.serials_ref !== null) {
          refs++
          await call('GET', e.serials_ref)
        }
      }
      token = page.next_page_token
    } while (token !== null)
    const rows = await app.store.audit.list({ limit: 1_000_000 })
    t.equal(entries, rows.length, `${entries} audit entries read through GET /v1/audit`)
    t.ok(refs > 0, 'a long serial list was read through its reference')
    seen.push({ where: 'audit_log rows as stored', text: JSON.stringify(rows) })
  })

  t.test('the public operations routes, last, after everything above', async (t) => {
    for (const path of ['/metrics', '/openapi.json', '/docs', '/docs/json', '/healthz', '/readyz']) await call('GET', path, { key: null })
    t.pass('operations called')
  })

  t.test('the scan', async (t) => {
    const stats = await simCall('GET', '/_sim/stats') as { sessionsIssued: number, sessionsRotated: number }
    t.ok(stats.sessionsIssued > 1 && stats.sessionsRotated > 10, 'sessions were issued and rotated')
    t.equal(sessions.size, stats.sessionsIssued + stats.sessionsRotated, 'every session token handed out is known')

    // An API key's `dgk_<id>_` prefix is public (the id is listed and logged): its secret is the rest.
    // A session token's first 10 characters are the time it was issued: its secret is the rest.
    const apiSecret = (key: string) => key.replace(/^dgk_[a-f0-9]{12}_/, '')
    const privateKeys = [...keyPairs.keys()].flatMap((pem, i) => privateKeySecrets(`private key #${i} (server ${keyPairs.get(pem)?.server})`, pem))
    const secrets: Array<[string, string]> = [
      ...privateKeys,
      ...orgSecrets(sim, accounts, recorder.assertions),
      ...(['consumer_key', 'consumer_secret', 'access_token', 'access_secret'] as const).map((f): [string, string] => [f, LEAK_TOKEN[f]]),
      ['DEPGATE_ADMIN_KEY', LEAK_ADMIN_KEY], ['DEPGATE_SECRET_KEY', LEAK_SECRET_KEY],
      ['DEPGATE_SECRET_KEY as base64', Buffer.from(LEAK_SECRET_KEY, 'hex').toString('base64')],
      ['DEPGATE_TOKEN_WEBHOOK_SECRET', LEAK_WEBHOOK_SECRET], ['wrong key', apiSecret(wrongKey)], ['throwaway', apiSecret(throwaway.key)],
      ...Object.entries(keys).map(([name, key]): [string, string] => [name, apiSecret(key)]),
      ...[...sessions].map((s, i): [string, string] => [`session #${i}`, s.slice(10)])
    ]
    const all = new SecretScanner()
    const scanners = new Map<string, SecretScanner>()
    for (const [name, value] of secrets) {
      all.add(name, value)
      const one = new SecretScanner()
      one.add(name, value)
      scanners.set(name, one)
    }
    // The scanner itself: it must see every form it claims to.
    for (const form of [LEAK_TOKEN.consumer_secret.slice(20, 36), Buffer.from(`xx${LEAK_TOKEN.access_secret}`).toString('base64'), encodeURIComponent(LEAK_ADMIN_KEY), Buffer.from(LEAK_TOKEN.access_token.slice(7)).toString('base64url')]) {
      t.ok(all.scan(`…${form}…`, 'probe'), `the scanner sees ${form.slice(0, 12)}…`)
    }
    t.notOk(all.scan(JSON.stringify({ profile_uuid: uuid, serial, url: base }), 'ordinary'), 'ordinary values are not mistaken for secrets')
    // Private keys: 40 characters from the middle of a PEM body are found, in a log line as in JSON; the certificates are public.
    for (const [pem, { certificatePem }] of keyPairs) {
      const middle = pem.split('\n').filter((l) => !l.startsWith('-----')).join('')
      const slice = middle.slice(middle.length / 2 - 20, middle.length / 2 + 20)
      t.ok(all.scan(`…${slice}…`, 'probe')?.secret.startsWith('private key #'), 'the scanner sees a slice of a private key')
      t.ok(all.scan(JSON.stringify({ key: pem }), 'probe')?.secret.startsWith('private key #'), 'and a private key as a JSON string')
      t.equal(all.scan(certificatePem, 'certificate'), undefined, 'the certificate is not mistaken for its private key')
    }
    t.ok(keyPairs.size >= 3, `${keyPairs.size} private keys made by depgate are watched`)

    const leaks: Array<{ secret: string, where: string, excerpt?: string }> = []
    for (const [i, s] of seen.entries()) {
      const owner = allowed.get(i)
      const found = owner === undefined ? all.scan(s.text, s.where) : undefined
      // An API key's creation answer holds that key and nothing else secret.
      const other = owner === undefined ? undefined : secrets.filter(([name]) => name !== owner).map(([name]) => scanners.get(name)?.scan(s.text, s.where)).find((f) => f !== undefined)
      const leak = found ?? other
      if (leak !== undefined) leaks.push(leak)
      if (PRIVATE_KEY_PEM.test(s.text)) leaks.push({ secret: 'a private key', where: s.where })
    }
    for (const [i, line] of logs.lines.entries()) {
      const found = all.scan(line, `log line ${i}`)
      if (found !== undefined) leaks.push(found)
      if (PRIVATE_KEY_PEM.test(line)) leaks.push({ secret: 'a private key', where: `log line ${i}` })
    }
    const doc = readFileSync(new URL('../../openapi/openapi.json', import.meta.url), 'utf8')
    const inDoc = all.scan(doc, 'openapi/openapi.json')
    if (inDoc !== undefined) leaks.push(inDoc)
    if (PRIVATE_KEY_PEM.test(doc)) leaks.push({ secret: 'a private key', where: 'openapi/openapi.json' })

    t.ok(seen.length > 600, `${seen.length / 2} answers collected`)
    t.ok(logs.lines.length > 1000, `${logs.lines.length} log lines collected`)
    t.equal(app.log.level, 'trace', 'every log line was written and seen')
    t.same(leaks, [], 'no secret anywhere')
  })
})
