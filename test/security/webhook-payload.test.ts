/**
 * What depgate sends to DEPGATE_TOKEN_WEBHOOK_URL (a subscription delivered by the outbox): a real receiver on loopback collects every
 * delivery while the app goes through each token event (token.expiring at start, token.renewed by a
 * JSON token and by a .p7m that promotes a staged key pair, token.expired, terms.not_signed and
 * terms.signed), with known, distinctive secrets everywhere. Each delivery must be signed as the
 * README says (Standard Webhooks: HMAC-SHA256 of "<id>.<timestamp>.<body>" keyed by the configured
 * secret, recomputed here, not with depgate's own function), carry the documented JSON fields and
 * nothing else, and no header, body or URL may hold
 * any 16-character run of any secret in any encoding: the server token's values, DEPGATE_ADMIN_KEY,
 * an API key, every session token the simulator issued, DEPGATE_SECRET_KEY, the webhook secret
 * itself, or any private key depgate generated.
 */
import { createHmac } from 'node:crypto'
import { createServer, type IncomingHttpHeaders } from 'node:http'
import { readFileSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import t from 'tap'
import { request } from 'undici'
import { loadConfig } from '../../src/config.js'
import { buildServer } from '../../src/server.js'
import { startSimulator } from '../../src/simulator/index.js'
import { tokenFingerprint } from '../../src/tokens/server-token.js'
import { logCapture, until } from '../helper.js'
import { encryptToken, NO_OPENSSL } from '../tokens/helpers.js'
import { LEAK_ADMIN_KEY, LEAK_SECRET_KEY, LEAK_TOKEN, LEAK_WEBHOOK_SECRET, PRIVATE_KEY_PEM, privateKeySecrets, SecretScanner } from './leak-kit.js'

interface Delivery { method: string, url: string, headers: IncomingHttpHeaders, body: string, receivedAt: number }

const ENVELOPE_FIELDS = ['type', 'id', 'timestamp', 'data']
const EVENT_FIELDS = ['server', 'token_fingerprint', 'token_expires_at', 'days_left', 'account']
const DAY_MS = 86_400_000

t.test('every token event reaches the webhook signed, with the documented fields and no secret', async (t) => {
  const deliveries: Delivery[] = []
  const receiver = createServer((req, res) => {
    let body = ''
    req.on('data', (c: Buffer) => { body += c.toString('utf8') })
    req.on('end', () => {
      deliveries.push({ method: req.method ?? '', url: req.url ?? '', headers: req.headers, body, receivedAt: Date.now() })
      res.end('ok')
    })
  })
  await new Promise<void>((resolve) => receiver.listen(0, '127.0.0.1', resolve))
  t.teardown(() => new Promise<void>((resolve) => receiver.close(() => { resolve() })))
  const { port } = receiver.address() as { port: number }

  const sim = await startSimulator({ devices: 3, credentials: LEAK_TOKEN, rotateSessions: true })
  t.teardown(() => sim.close())
  const logs = logCapture()
  const config = loadConfig({
    DEPGATE_ADMIN_KEY: LEAK_ADMIN_KEY,
    DEPGATE_DATA_DIR: t.testdir(),
    DEPGATE_LOG_LEVEL: 'info',
    DEPGATE_MIRROR: 'false',
    DEPGATE_SECRET_KEY: LEAK_SECRET_KEY,
    DEPGATE_TOKEN_WEBHOOK_URL: `http://127.0.0.1:${port}/hooks/depgate`,
    DEPGATE_TOKEN_WEBHOOK_SECRET: LEAK_WEBHOOK_SECRET
  })
  // The default server's token expires in 5.5 days: the check at start sends token.expiring.
  const soon = new Date(Date.now() + 5.5 * DAY_MS).toISOString().replace(/\.\d{3}Z$/, 'Z')
  const app = await buildServer(config, {
    defaultServer: { token: { ...LEAK_TOKEN, access_token_expiry: soon }, baseUrl: sim.url },
    depClientOptions: { retry: { retries: 0 } },
    logStream: logs.stream
  })
  t.teardown(() => app.close())
  const base = await app.listen({ host: '127.0.0.1', port: 0 })
  const call = async (method: string, path: string, o: { body?: unknown, raw?: string, type?: string } = {}) => {
    const body = o.raw ?? (o.body === undefined ? undefined : JSON.stringify(o.body))
    const headers: Record<string, string> = { authorization: `Bearer ${LEAK_ADMIN_KEY}` }
    if (body !== undefined) headers['content-type'] = o.type ?? 'application/json'
    const res = await request(`${base}${path}`, { method: method as 'GET', headers, body })
    return { status: res.statusCode, text: await res.body.text() }
  }
  const simConfig = async (patch: object) => {
    await (await request(`${sim.url}/_sim/config`, { method: 'PATCH', headers: { 'content-type': 'application/json' }, body: JSON.stringify(patch) })).body.dump()
  }
  const sessions = new Set<string>()
  const noteSessions = () => { for (const token of sim.app.sim.sessions['sessions'].keys()) sessions.add(token) }

  const created = await call('POST', '/v1/keys', { body: { label: 'webhook', scope: 'admin' } })
  t.equal(created.status, 201)
  const apiKey = (JSON.parse(created.text) as { key: string }).key

  // token.renewed, twice: a new server, then a replacement (JSON tokens: stored without asking Apple).
  t.equal((await call('PUT', '/v1/servers/second', { body: { token: LEAK_TOKEN, base_url: sim.url } })).status, 201)
  t.equal((await call('PUT', '/v1/servers/second', { body: { token: JSON.stringify(LEAK_TOKEN), base_url: sim.url } })).status, 200)
  noteSessions()

  // token.renewed by a .p7m encrypted to the certificate depgate staged (its private key is then the current one).
  const keyServers = ['second']
  if (NO_OPENSSL === false) {
    const dir = t.testdir()
    const staged = await call('POST', '/v1/servers/uploaded/certificate')
    t.equal(staged.status, 201)
    const certPath = join(dir, 'cert.pem')
    writeFileSync(certPath, (JSON.parse(staged.text) as { certificate_pem: string }).certificate_pem)
    const mime = `Content-Type: text/plain;charset=UTF8\r\n\r\n-----BEGIN MESSAGE-----\r\n${JSON.stringify(LEAK_TOKEN)}\r\n-----END MESSAGE-----\r\n`
    const p7m = readFileSync(encryptToken(dir, [certPath], { plaintext: mime }), 'utf8')
    const uploaded = await call('PUT', `/v1/servers/uploaded/token?base_url=${encodeURIComponent(sim.url)}`, { raw: p7m, type: 'application/pkcs7-mime' })
    t.equal(uploaded.status, 201, uploaded.text)
    // A renewal staged beside it: two private keys for one server.
    t.equal((await call('POST', '/v1/servers/uploaded/certificate')).status, 201)
    keyServers.push('uploaded')
    noteSessions()
  }
  // A staged key for the default server too, and one for a server with no token yet.
  t.equal((await call('POST', '/v1/servers/default/certificate')).status, 201)
  t.equal((await call('POST', '/v1/servers/no-token-yet/certificate')).status, 201)
  keyServers.push('default', 'no-token-yet')

  // token.expired: a server whose token is past its expiry, found by the expiry check.
  t.equal((await call('PUT', '/v1/servers/old', { body: { token: { ...LEAK_TOKEN, access_token_expiry: '2001-01-01T00:00:00Z' }, base_url: sim.url } })).status, 201)
  app.checkTokenHealth()

  // terms.not_signed, then terms.signed once Apple answers again.
  await simConfig({ termsSigned: false })
  t.equal((await call('GET', '/v1/servers/default/account')).status, 403)
  noteSessions()
  await simConfig({ termsSigned: true })
  t.equal((await call('GET', '/v1/servers/default/account')).status, 200)
  noteSessions()

  // A delivery for every fact the registry emitted (its log line names each; the same fact noticed
  // twice, like the same token stored twice, is one event: src/events/token-events.ts), and every kind among them.
  const emitted = () => logs.lines.map((l) => /"msg":"DEP server \\"([^"\\]+)\\": ([a-z._]+)"/.exec(l)).filter((m) => m !== null).map((m) => `${m[2]} ${m[1]}`).sort()
  const distinct = (list: string[]) => [...new Set(list)].sort()
  const parsed = () => deliveries.map((d) => JSON.parse(d.body) as { type: string, data: { server: string } })
  await until('a delivery for every event', async () => distinct(parsed().map((e) => `${e.type} ${e.data.server}`)).length >= distinct(emitted()).length, 10_000)
  const delivered = parsed().map((e) => ({ type: e.type, server: e.data.server }))
  t.same(distinct(delivered.map((e) => `${e.type} ${e.server}`)), distinct(emitted()), 'a delivery per event')
  t.equal(new Set(deliveries.map((d) => d.headers['webhook-id'])).size, deliveries.length, 'each event delivered once')
  t.equal(emitted().filter((e) => e === 'token.renewed second').length, 2, 'a JSON token, new or replacing, says token.renewed')
  t.notOk(emitted().includes('token.renewed old'), 'a token already expired renews nothing')
  const kinds = ['terms.not_signed', 'terms.signed', 'token.expired', 'token.expiring', 'token.renewed']
  t.same([...new Set(delivered.map((e) => e.type))].sort(), kinds, `the deliveries cover ${kinds.join(', ')}`)

  const servers = (JSON.parse((await call('GET', '/v1/servers')).text) as { servers: Array<{ name: string, token_fingerprint: string, token_expires_at: string | null }> }).servers
  const byName = new Map(servers.map((s) => [s.name, s]))

  t.test('signed over "<id>.<timestamp>.<body>" with the webhook secret', async (t) => {
    for (const d of deliveries) {
      t.equal(d.method, 'POST')
      t.equal(d.url, '/hooks/depgate', 'sent to the configured URL')
      t.match(d.headers['content-type'], /^application\/json/)
      const timestamp = String(d.headers['webhook-timestamp'])
      t.match(timestamp, /^\d{10}$/, 'the timestamp is whole seconds since the epoch')
      t.ok(Math.abs(Number(timestamp) * 1000 - d.receivedAt) < 5000, 'and it is now')
      const id = String(d.headers['webhook-id'])
      t.equal(id, JSON.parse(d.body).id, 'webhook-id is the event id')
      const mac = createHmac('sha256', LEAK_WEBHOOK_SECRET).update(`${id}.${timestamp}.${d.body}`).digest('base64')
      t.equal(d.headers['webhook-signature'], `v1,${mac}`, 'the signature verifies against the id, timestamp and body')
    }
  })

  t.test('the payload: the documented fields and nothing else', async (t) => {
    for (const d of deliveries) {
      const envelope = JSON.parse(d.body) as { type: string, timestamp: string, data: Record<string, unknown> }
      t.same(Object.keys(envelope).filter((k) => !ENVELOPE_FIELDS.includes(k)), [], `no field beyond ${ENVELOPE_FIELDS.join(', ')}`)
      const e: Record<string, unknown> = { type: envelope.type, ...envelope.data }
      const where = `${String(e.type)} ${String(e.server)}`
      t.same(Object.keys(envelope.data).filter((k) => !EVENT_FIELDS.includes(k)), [], `${where}: no data field beyond ${EVENT_FIELDS.join(', ')}`)
      t.match(e, { type: String, server: String, token_fingerprint: /^sha256:[0-9a-f]{12}$/ }, where)
      t.ok(Math.abs(Date.parse(envelope.timestamp) - d.receivedAt) < 5000, `${where}: timestamp is the time of the event`)
      const server = byName.get(String(e.server))
      t.ok(server, `${where}: a configured server`)
      t.equal(e.token_fingerprint, server?.token_fingerprint, `${where}: the fingerprint GET /v1/servers shows`)
      t.equal(e.token_fingerprint, tokenFingerprint(LEAK_TOKEN))
      t.equal(e.token_expires_at, server?.token_expires_at ?? null, `${where}: the token's expiry`)
      switch (e.type) {
        case 'token.expiring':
          t.match(e, { server: 'default', token_expires_at: soon, days_left: 5 }, where)
          break
        case 'token.expired':
          t.match(e, { server: 'old' }, where)
          t.equal(Date.parse(String(e.token_expires_at)), Date.parse('2001-01-01T00:00:00Z'), `${where}: the expired token's expiry`)
          t.ok(Number(e.days_left) < -9000, `${where}: days_left is negative`)
          break
        case 'token.renewed':
          if (e.server === 'uploaded') {
            t.match(e, { token_expires_at: new Date(LEAK_TOKEN.access_token_expiry).toISOString(), days_left: Number, account: { server_uuid: String, server_name: String, org_name: String, checked_at: String } }, `${where}: with the account Apple answered`)
          } else {
            // PUT /v1/servers/{server} stores a JSON token without asking Apple: no account to tell.
            t.match(e, { server: 'second', days_left: Number, account: null }, `${where}: a JSON token, unverified`)
          }
          break
        default:
          t.match(e, { server: 'default' }, where)
          t.notOk('days_left' in e || 'account' in e, `${where}: no days_left or account`)
      }
    }
  })

  t.test('no secret in any header, body or URL of any delivery', async (t) => {
    const apiSecret = apiKey.replace(/^dgk_[a-f0-9]{12}_/, '')
    const secretKey = Buffer.from(LEAK_SECRET_KEY, 'hex')
    const privateKeys: Array<[string, string]> = []
    for (const name of keyServers) {
      const keys = await app.store.servers.getKeys(name)
      for (const [which, pair] of Object.entries(keys)) {
        if (pair !== undefined) privateKeys.push(...privateKeySecrets(`${which} private key of ${name}`, (pair as { privateKeyPem: string }).privateKeyPem))
      }
    }
    t.ok(privateKeys.length >= (NO_OPENSSL === false ? 4 : 3) * 8, `${privateKeys.length / 8} private keys watched`)
    t.ok(sessions.size >= 2, `${sessions.size} session tokens watched`)
    const secrets: Array<[string, string]> = [
      ...(['consumer_key', 'consumer_secret', 'access_token', 'access_secret'] as const).map((f): [string, string] => [f, LEAK_TOKEN[f]]),
      ['DEPGATE_ADMIN_KEY', LEAK_ADMIN_KEY], ['an API key', apiSecret],
      ['DEPGATE_SECRET_KEY', LEAK_SECRET_KEY], ['DEPGATE_SECRET_KEY as base64', secretKey.toString('base64')],
      ['DEPGATE_SECRET_KEY as base64url', secretKey.toString('base64url')],
      ['DEPGATE_TOKEN_WEBHOOK_SECRET', LEAK_WEBHOOK_SECRET],
      ...[...sessions].map((s, i): [string, string] => [`session #${i}`, s.slice(10)]),
      ...privateKeys
    ]
    const scanner = new SecretScanner()
    for (const [name, value] of secrets) scanner.add(name, value)
    const leaks: unknown[] = []
    for (const d of deliveries) {
      const where = `delivery of ${String(JSON.parse(d.body).type)}`
      for (const [part, text] of [['headers', JSON.stringify(d.headers)], ['body', d.body], ['url', d.url]]) {
        const found = scanner.scan(text, `${where} (${part})`)
        if (found !== undefined) leaks.push(found)
        if (PRIVATE_KEY_PEM.test(text)) leaks.push({ secret: 'a private key', where: `${where} (${part})` })
      }
    }
    t.same(leaks, [], `no secret in ${deliveries.length} deliveries`)
  })
})
