/** Session acquisition, failure mapping and re-authentication against throwaway servers. */
import t, { type Test } from 'tap'
import { DepApiError, DepAuthError, DepResponseError, DepTokenExpiredError, DepUpstreamError } from '../../src/dep/errors.js'
import { makeClient, send, startServer, TOKEN, type Seen } from './helpers.js'

const account = { server_name: 'S' }

t.test('/session failures become typed errors', async (t) => {
  const cases: Array<[number, string, { code: string } & Record<string, unknown>]> = [
    [400, '', { constructor: DepAuthError, code: 'OAUTH_REJECTED', status: 400 }],
    [401, 'UNAUTHORIZED', { constructor: DepAuthError, code: 'OAUTH_REJECTED', status: 401 }],
    [401, 'oauth_problem_adviceUnauthorized', { constructor: DepAuthError, code: 'OAUTH_REJECTED' }],
    [403, 'T_C_NOT_SIGNED', { constructor: DepAuthError, code: 'T_C_NOT_SIGNED', status: 403 }],
    [403, '"ACCESS_DENIED"', { constructor: DepAuthError, code: 'ACCESS_DENIED' }],
    [403, 'FORBIDDEN', { constructor: DepAuthError, code: 'OAUTH_REJECTED', status: 403 }],
    [405, '', { constructor: DepApiError, code: 'METHOD_NOT_ALLOWED', endpoint: 'session' }],
    [500, '', { constructor: DepUpstreamError, code: 'UPSTREAM_500', endpoint: 'session' }]
  ]
  let current = cases[0]
  const { url, seen } = await startServer(t, (req, res) => send(res, current[0], current[1]))
  const { client, events } = makeClient(t, url, { retry: { retries: 0 } })
  for (const c of cases) {
    current = c
    await t.rejects(client.getAccount(), c[2], `${c[0]} ${c[1]}`)
  }
  t.ok(seen.every((s) => s.url === '/session'), 'no API call without a session')
  t.equal(events.filter((e) => e.type === 'session' && e.outcome === 'failed').length, cases.length)
})

t.test('an empty or malformed session answer is an error', async (t) => {
  let body: unknown = { auth_session_token: '' }
  const { url } = await startServer(t, (req, res) => send(res, 200, body))
  const { client } = makeClient(t, url)
  await t.rejects(client.getAccount(), { constructor: DepResponseError, code: 'INVALID_RESPONSE', message: /empty auth_session_token/ })
  body = { token: 'x' }
  await t.rejects(client.getAccount(), { constructor: DepResponseError, code: 'INVALID_RESPONSE' })
})

t.test('an expired server token is refused before anything is sent', async (t) => {
  const { url, seen } = await startServer(t, (req, res) => send(res, 200, {}))
  const { client } = makeClient(t, url, { token: { ...TOKEN, access_token_expiry: '2020-01-01T00:00:00Z' } })
  const err = await client.getAccount().catch((e: unknown) => e)
  t.type(err, DepTokenExpiredError)
  t.match(err, { code: 'TOKEN_EXPIRED', endpoint: 'account', message: /expired at 2020-01-01T00:00:00Z/ })
  t.notMatch((err as Error).message, /CS_|AS_|AT_/)
  await t.rejects(client.request('GET', '/account'), DepTokenExpiredError)
  t.equal(seen.length, 0)
})

t.test('the token expiring between the check and /session is caught too', async (t) => {
  const { url, seen } = await startServer(t, (req, res) => send(res, 200, {}))
  const expiry = Date.parse('2030-01-01T00:00:00Z')
  let calls = 0
  // The first clock read (the API-call check) is before the expiry, every later one after it.
  const { client } = makeClient(t, url, { token: { ...TOKEN, access_token_expiry: '2030-01-01T00:00:00Z' }, now: () => (calls++ === 0 ? expiry - 1 : expiry) })
  await t.rejects(client.getAccount(), { constructor: DepTokenExpiredError, code: 'TOKEN_EXPIRED', endpoint: 'session' })
  t.equal(seen.length, 0)
})

/** A fake Apple whose sessions can be revoked: only the newest token issued is valid. */
async function revocable (t: Test, reject: (req: Seen) => [number, string] = () => [401, 'UNAUTHORIZED']): Promise<{ url: string, seen: Seen[], revoke: () => void, sessions: () => number }> {
  let issued = 0
  let valid: string | undefined
  const server = await startServer(t, (req, res) => {
    if (req.url === '/session') {
      valid = `S${++issued}`
      send(res, 200, { auth_session_token: valid })
    } else if (req.headers['x-adm-auth-session'] !== valid) {
      const [status, body] = reject(req)
      send(res, status, body)
    } else {
      send(res, 200, account)
    }
  })
  return { ...server, revoke: () => { valid = undefined }, sessions: () => issued }
}

t.test('401 → one re-authentication, then the request is replayed with its body', async (t) => {
  const apple = await revocable(t)
  const { client } = makeClient(t, apple.url)
  await client.getAccount()
  apple.revoke()
  await client.request('POST', '/account', { body: { hello: 'world' } })
  t.equal(apple.sessions(), 2)
  const replays = apple.seen.filter((s) => s.method === 'POST')
  t.same(replays.map((s) => [s.headers['x-adm-auth-session'], s.body]), [['S1', '{"hello":"world"}'], ['S2', '{"hello":"world"}']])
})

t.test('403 FORBIDDEN (depsim after a restart) also re-authenticates', async (t) => {
  const apple = await revocable(t, () => [403, '"FORBIDDEN"'])
  const { client } = makeClient(t, apple.url)
  await client.getAccount()
  apple.revoke()
  t.match(await client.getAccount(), account)
  t.equal(apple.sessions(), 2)
})

t.test('a second refusal is DepAuthError UNAUTHORIZED (no loop); pass-through returns it', async (t) => {
  const { url, seen } = await startServer(t, (req, res) => {
    if (req.url === '/session') send(res, 200, { auth_session_token: 'S' })
    else send(res, 401, 'UNAUTHORIZED')
  })
  const { client } = makeClient(t, url)
  await t.rejects(client.getAccount(), { constructor: DepAuthError, code: 'UNAUTHORIZED', status: 401 })
  t.equal(seen.length, 4, 'session, call, session, replay')
  const res = await client.request('GET', '/account')
  t.equal(res.status, 401)
})

t.test('403 T_C_NOT_SIGNED on an API call is not retried', async (t) => {
  const apple = await revocable(t, () => [403, 'T_C_NOT_SIGNED'])
  const { client } = makeClient(t, apple.url)
  await client.getAccount()
  apple.revoke()
  await t.rejects(client.getAccount(), { constructor: DepAuthError, code: 'T_C_NOT_SIGNED', status: 403 })
  t.equal(apple.sessions(), 1)
})

t.test('concurrent callers share one /session, and a refreshed session is not refreshed again', async (t) => {
  const apple = await revocable(t)
  const { client } = makeClient(t, apple.url)
  await Promise.all(Array.from({ length: 120 }, async () => await client.getAccount()))
  t.equal(apple.sessions(), 1, 'single flight')
  apple.revoke()
  await Promise.all(Array.from({ length: 50 }, async () => await client.getAccount()))
  t.equal(apple.sessions(), 2, 'fifty 401s, one new session')
})

t.test('a session failure reaches every waiter, and the next call tries again', async (t) => {
  let fail = true
  const { url, seen } = await startServer(t, (req, res) => {
    if (req.url === '/session') send(res, fail ? 403 : 200, fail ? 'T_C_NOT_SIGNED' : { auth_session_token: 'S' })
    else send(res, 200, account)
  })
  const { client } = makeClient(t, url)
  const results = await Promise.allSettled(Array.from({ length: 10 }, async () => await client.getAccount()))
  t.ok(results.every((r) => r.status === 'rejected' && r.reason instanceof DepAuthError))
  t.equal(seen.length, 1)
  fail = false
  t.match(await client.getAccount(), account)
})
