import type { FastifyRequest } from 'fastify'
import t from 'tap'
import { auditEntryFor } from '../../plugins/app/audit.js'
import { serverInfo } from '../../src/api/server-info.js'
import { DEPSIM_CREDENTIALS } from '../../src/simulator/index.js'
import { buildTestApp } from '../helper.js'

const token = { consumer_key: 'CK_1', consumer_secret: 'CS_1', access_token: 'AT_1', access_secret: 'AS_1' }

t.test('one client per server, created lazily, replaced with the token, dropped with the server', async (t) => {
  const { app, store, sim } = await buildTestApp(t)
  const reg = app.depServers
  const a = reg.get('default')
  t.equal(a.baseUrl, sim?.url)
  t.equal(a.info.name, 'default')
  const client = a.client
  t.equal(reg.get('default').client, client, 'reused')
  t.match(await client.getAccount(), { server_name: String })

  await reg.put('default', { token: DEPSIM_CREDENTIALS, baseUrl: sim?.url ?? '' })
  t.not(reg.get('default').client, client, 'a new token means a new client')

  // A handle taken before a put or a delete (a request awaiting something meanwhile) gives the server as it is now.
  const early = reg.get('default')
  await reg.put('default', { token: DEPSIM_CREDENTIALS, baseUrl: 'http://127.0.0.1:9' })
  t.equal(early.client.baseUrl, 'http://127.0.0.1:9', 'not a client built from the old record')
  t.equal(reg.get('default').client, early.client, 'and the one cached for the name')
  await reg.put('default', { token: DEPSIM_CREDENTIALS, baseUrl: sim?.url ?? '' })

  await reg.put('other', { token })
  const doomed = reg.get('other')
  t.ok(reg.has('other'))
  t.equal(reg.get('other').baseUrl, 'https://mdmenrollment.apple.com')
  t.ok(reg.get('other').client)
  t.equal(await reg.delete('other'), true)
  t.notOk(reg.has('other'))
  t.equal(await reg.delete('other'), false)
  t.throws(() => reg.get('other'), { statusCode: 404, code: 'SERVER_NOT_FOUND' })
  t.throws(() => doomed.client, { statusCode: 404, code: 'SERVER_NOT_FOUND' }, 'a handle of a deleted server builds no client')

  // Another writer (the CLI, another replica) changes the store: reload picks it up.
  const before = reg.get('default').client
  await store.servers.upsert({ name: 'default', token, baseUrl: 'http://127.0.0.1:9' })
  await store.servers.upsert({ name: 'lyon', token })
  await reg.reload()
  t.equal(reg.get('default').baseUrl, 'http://127.0.0.1:9')
  t.not(reg.get('default').client, before)
  t.same(reg.list().map((s) => s.name), ['default', 'lyon'])
  const lyonClient = reg.get('lyon').client
  await reg.reload()
  t.equal(reg.get('lyon').client, lyonClient, 'unchanged servers keep their client')
  app.metrics.onDepEvent('lyon', { type: 'session', outcome: 'acquired' })
  t.match(await app.metrics.registry.metrics(), /server="lyon"/)
  await store.servers.delete('lyon')
  await reg.reload()
  t.notOk(reg.has('lyon'))
  t.notMatch(await app.metrics.registry.metrics(), /server="lyon"/, 'a server deleted elsewhere leaves /metrics too')
})

t.test('server info: days left, expiry, no expiry', async (t) => {
  const now = Date.parse('2026-01-01T00:00:00Z')
  const rec = { name: 'x', token, createdAt: 'c', updatedAt: 'u' }
  t.match(serverInfo(rec, now), { token_expires_at: null, token_days_left: null, token_expired: false, base_url: 'https://mdmenrollment.apple.com', account: null })
  t.match(serverInfo({ ...rec, account: { checkedAt: 'c' } }, now), { account: { server_uuid: null, server_name: null, org_name: null, checked_at: 'c' } })
  t.match(serverInfo({ ...rec, token: { ...token, access_token_expiry: '2026-01-11T12:00:00.000Z' } }, now), { token_days_left: 10, token_expired: false })
  t.match(serverInfo({ ...rec, token: { ...token, access_token_expiry: '2025-12-30T00:00:00.000Z' } }, now), { token_days_left: -2, token_expired: true })
})

t.test('routes write their own audit entry with fastify.audit', async (t) => {
  const { app, store } = await buildTestApp(t, { simulator: false })
  const request = { auth: { keyId: 'k1', scope: 'write' }, audited: false } as unknown as FastifyRequest
  await app.audit(request, { action: 'profile.assign', server: 'default', target: 'UUID-1', detail: { serials: 3 } })
  await app.audit({ auth: null } as unknown as FastifyRequest, { action: 'devices.disown', server: 'default', target: null, result: 'DISOWN_DISABLED' })
  await app.audit({ auth: null } as unknown as FastifyRequest, { action: 'misc', target: null, detail: 'x'.repeat(5000) })
  await app.audit({ auth: null } as unknown as FastifyRequest, { action: 'misc2', target: 'thing' })
  t.equal(request.audited, true)
  const entries = await store.audit.list()
  t.match(entries, [
    { action: 'misc2', target: 'thing', keyId: null, result: 'ok', detail: undefined },
    { action: 'misc', target: '' },
    { action: 'devices.disown', target: '/v1/servers/default', result: 'DISOWN_DISABLED' },
    { action: 'profile.assign', target: '/v1/servers/default/UUID-1', keyId: 'k1', result: 'ok', detail: '{"serials":3}' }
  ])
  t.equal(entries[1].detail?.length, 2000)
})

t.test('a failing audit write is logged, the answer stands', async (t) => {
  const { app, auth, logs } = await buildTestApp(t, {
    simulator: false,
    captureLogs: true,
    wrapStore: (s) => ({ ...s, audit: { ...s.audit, record: async () => { throw new Error('disk full') } } })
  })
  // A refusal's row is written after the answer (a change's row goes with the change, or neither does).
  const res = await app.inject({ method: 'POST', url: '/v1/keys', headers: auth(), payload: { label: 'x', scope: 'nope' } })
  t.equal(res.statusCode, 400)
  t.match(logs.join('\n'), /could not write the audit log/)
})

t.test('automatic audit entries: defaults, route action, annotations, status without a problem', async (t) => {
  const base = { method: 'POST', url: '/v1/x?cursor=c', auth: null, auditAnnotation: null, routeOptions: { url: '/v1/x', config: {} } }
  t.same(auditEntryFor(base as unknown as FastifyRequest, 201), { keyId: null, action: 'POST /v1/x', target: '/v1/x', result: 'ok' })
  t.same(auditEntryFor({ ...base, problemCode: 'NOPE' } as unknown as FastifyRequest, 409).result, 'NOPE')
  t.same(auditEntryFor(base as unknown as FastifyRequest, 409).result, 'HTTP_409')
  t.same(auditEntryFor({
    ...base,
    auth: { keyId: 'k', scope: 'admin' },
    auditAnnotation: { action: 'a', target: 't', detail: 'd' },
    routeOptions: { url: '/v1/x', config: { audit: 'ignored' } }
  } as unknown as FastifyRequest, 200), { keyId: 'k', action: 'a', target: 't', result: 'ok', detail: 'd' })
  t.equal(auditEntryFor({ ...base, routeOptions: { url: '/v1/x', config: { audit: 'x.do' } } } as unknown as FastifyRequest, 200).action, 'x.do')
})

t.test('DEPGATE_DEP_CONNECTIONS bounds the calls to Apple that run at once, per server', async (t) => {
  const LATENCY_MS = 300
  const timeTwoCalls = async (connections: string): Promise<number> => {
    const { app, sim } = await buildTestApp(t, { env: { DEPGATE_DEP_CONNECTIONS: connections } })
    const client = app.depServers.get('default').client
    await client.getAccount() // the session, outside the timing
    await sim?.app.inject({ method: 'POST', url: '/_sim/faults', payload: { endpoint: 'account', kind: 'latency', ms: LATENCY_MS, times: 0 } })
    const started = performance.now()
    await Promise.all([client.getAccount(), client.getAccount()])
    return performance.now() - started
  }
  // One connection: the second call can only start once the first has answered (with the default
  // 8 both would wait at once and finish in about one latency). A lower bound: load cannot break it.
  t.ok(await timeTwoCalls('1') >= 2 * LATENCY_MS - 20, 'one at a time')
})
