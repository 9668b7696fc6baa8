/** Sessions against the simulator over real HTTP: acquisition, rotation, re-auth, refusals. */
import t from 'tap'
import { DepAuthError, DepTokenExpiredError } from '../../src/dep/index.js'
import { DEPSIM_CREDENTIALS } from '../../src/simulator/index.js'
import { simClient, startSim } from './sim.js'

t.test('acquires a session once and reuses it', async (t) => {
  const sim = await startSim(t)
  const { client, events } = simClient(t, sim)
  const account = await client.getAccount()
  t.type(account.server_name, 'string')
  await client.getAccount()
  const stats = await sim.stats()
  t.equal(stats.sessionsIssued, 1)
  t.equal(stats.requests.account, 2)
  t.same(events.filter((e) => e.type === 'session'), [{ type: 'session', outcome: 'acquired' }])
})

t.test('single flight: 150 concurrent first calls cause exactly one /session', async (t) => {
  const sim = await startSim(t)
  const { client } = simClient(t, sim)
  const results = await Promise.all(Array.from({ length: 150 }, async () => await client.getAccount()))
  t.equal(results.length, 150)
  const stats = await sim.stats()
  t.equal(stats.sessionsIssued, 1)
  t.equal(stats.requests.session, 1)
})

t.test('follows rotated session tokens', async (t) => {
  const sim = await startSim(t, { rotateSessions: true })
  const { client, events } = simClient(t, sim)
  for (let i = 0; i < 3; i++) await client.getAccount()
  t.equal((await sim.stats()).sessionsIssued, 1)
  t.equal(events.filter((e) => e.type === 'session' && e.outcome === 'rotated').length, 3)
})

t.test('re-authenticates once after the simulator expires every session (401)', async (t) => {
  const sim = await startSim(t)
  const { client } = simClient(t, sim)
  await client.getAccount()
  await sim.control('POST', '/_sim/sessions/expire')
  await Promise.all(Array.from({ length: 20 }, async () => await client.getAccount()))
  t.equal((await sim.stats()).sessionsIssued, 2, 'twenty 401s, one new session')
})

t.test('re-authenticates after a simulator restart (403 FORBIDDEN for an unknown session)', async (t) => {
  const first = await startSim(t)
  const port = Number(new URL(first.url).port)
  const { client } = simClient(t, first)
  await client.getAccount()
  await first.close()
  const second = await startSim(t, { port })
  t.match(await client.getAccount(), { server_name: String })
  const stats = await second.stats()
  t.equal(stats.sessionsIssued, 1)
  t.equal(stats.requests.account, 2, 'the refused call and its replay')
})

t.test('terms not signed and access denied are typed and not retried', async (t) => {
  const sim = await startSim(t)
  const { client } = simClient(t, sim)
  await sim.control('PATCH', '/_sim/config', { termsSigned: false })
  await t.rejects(client.getAccount(), { constructor: DepAuthError, code: 'T_C_NOT_SIGNED', status: 403, endpoint: 'session' })
  await sim.control('PATCH', '/_sim/config', { termsSigned: true })
  await client.getAccount()
  await sim.control('PATCH', '/_sim/config', { termsSigned: false })
  await t.rejects(client.getAccount(), { constructor: DepAuthError, code: 'T_C_NOT_SIGNED', status: 403, endpoint: 'account' })
  await sim.control('PATCH', '/_sim/config', { termsSigned: true, accessDenied: true })
  await t.rejects(client.getAccount(), { constructor: DepAuthError, code: 'ACCESS_DENIED', status: 403 })
  const stats = await sim.stats()
  t.equal(stats.sessionsIssued, 1)
  t.equal(stats.requests.account, 3)
})

t.test('a wrong secret is OAUTH_REJECTED; an expired server token is refused locally', async (t) => {
  const sim = await startSim(t)
  const { client } = simClient(t, sim, { token: { ...DEPSIM_CREDENTIALS, access_secret: 'AS_wrong' } })
  await t.rejects(client.getAccount(), { constructor: DepAuthError, code: 'OAUTH_REJECTED', status: 401, endpoint: 'session' })
  const { client: expired } = simClient(t, sim, { token: { ...DEPSIM_CREDENTIALS, access_token_expiry: '2024-07-16T06:36:41Z' } })
  await t.rejects(expired.getAccount(), { constructor: DepTokenExpiredError, code: 'TOKEN_EXPIRED', message: /expired at 2024-07-16T06:36:41Z/ })
  t.equal((await sim.stats()).requests.session, 1, 'only the wrong-secret attempt reached the simulator')
})

t.test('a session fault on /session (429 with Retry-After) is retried', async (t) => {
  const sim = await startSim(t)
  const { client, delays } = simClient(t, sim)
  await sim.fault({ endpoint: 'session', kind: 'status', status: 429, retryAfter: 1 })
  await client.getAccount()
  t.same(delays, [1000])
  t.equal((await sim.stats()).sessionsIssued, 1)
})
