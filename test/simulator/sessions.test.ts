import t from 'tap'
import OAuth from 'oauth-1.0a'
import { createHmac } from 'node:crypto'
import { DEPSIM_CREDENTIALS } from '../../src/simulator/index.js'
import { call, login, start, type Answer } from './fixtures/helper.js'

t.test('sessions', async (t) => {
  let now = Date.UTC(2026, 0, 1)
  const { url, sim } = await start(t, { clock: () => now, sessionTtlMs: 60_000 })
  const ts = (): number => Math.floor(sim.now() / 1000)
  const account = async (token?: string): Promise<[number, string]> => {
    const res = await call(url, 'GET', '/account', { token })
    return [res.status, res.text]
  }

  t.test('a fresh session works until its TTL, then 401', async (t) => {
    const token = await login(url, { timestamp: ts() })
    t.equal((await account(token))[0], 200)
    now += 59_000
    t.equal((await account(token))[0], 200)
    now += 1_000
    t.same(await account(token), [401, 'UNAUTHORIZED'])
  })

  t.test('missing → 401, never issued → 403 FORBIDDEN (depsim after a restart)', async (t) => {
    t.same(await account(), [401, 'UNAUTHORIZED'])
    t.same(await account(''), [401, 'UNAUTHORIZED'])
    t.same(await account('1700000000deadbeef'), [403, 'FORBIDDEN'])
  })

  t.test('the control clock expires sessions; long-expired ones are forgotten', async (t) => {
    const token = await login(url, { timestamp: ts() })
    const res = await call(url, 'POST', '/_sim/clock', { body: { advanceMs: 61_000 } })
    t.match(res.json(), { now: /^2026-01-01T/ })
    t.same(await account(token), [401, 'UNAUTHORIZED'])
    now += 2 * 3_600_000
    await login(url, { timestamp: ts() }) // issuing prunes
    t.same(await account(token), [403, 'FORBIDDEN'])
  })

  t.test('expire all sessions now', async (t) => {
    const a = await login(url, { timestamp: ts() })
    const b = await login(url, { timestamp: ts() })
    const res = await call(url, 'POST', '/_sim/sessions/expire')
    t.ok(res.json().expired >= 2)
    t.same(await account(a), [401, 'UNAUTHORIZED'])
    t.same(await account(b), [401, 'UNAUTHORIZED'])
  })

  t.test('rotation through the X-ADM-Auth-Session response header', async (t) => {
    const token = await login(url, { timestamp: ts() })
    t.notOk((await call(url, 'GET', '/account', { token })).headers['x-adm-auth-session'])
    await call(url, 'PATCH', '/_sim/config', { body: { rotateSessions: true } })
    const res = await call(url, 'GET', '/account', { token })
    const rotated = res.headers['x-adm-auth-session']
    t.match(rotated, /^\d{10}[0-9a-f]{64}$/)
    t.not(rotated, token)
    t.equal((await account(rotated))[0], 200, 'the new token works')
    t.equal((await account(token))[0], 200, 'the old one stays valid until its TTL')
    t.notOk((await call(url, 'GET', '/account', { token: 'nope' })).headers['x-adm-auth-session'], 'never on errors')
    const stats = (await call(url, 'GET', '/_sim/stats')).json()
    t.ok(stats.sessionsRotated >= 3)
    await call(url, 'PATCH', '/_sim/config', { body: { rotateSessions: false } })
  })

  t.test('stats count sessions issued by /session only, and reset', async (t) => {
    await call(url, 'POST', '/_sim/stats/reset')
    await login(url, { timestamp: ts() })
    await login(url, { timestamp: ts() })
    const stats = (await call(url, 'GET', '/_sim/stats')).json()
    t.equal(stats.sessionsIssued, 2)
    t.equal(stats.requests.session, 2)
    t.equal(stats.requests.account, 0)
  })

  t.test('terms and access toggles refuse API calls with a valid session', async (t) => {
    const token = await login(url, { timestamp: ts() })
    await call(url, 'PATCH', '/_sim/config', { body: { termsSigned: false } })
    t.same(await account(token), [403, 'T_C_NOT_SIGNED'])
    await call(url, 'PATCH', '/_sim/config', { body: { termsSigned: true, accessDenied: true } })
    t.same(await account(token), [403, 'ACCESS_DENIED'])
    await call(url, 'PATCH', '/_sim/config', { body: { accessDenied: false } })
    t.equal((await account(token))[0], 200)
  })
})

t.test('a client signing with the real time still logs in after the control clock moves 8 days', async (t) => {
  // No injected clock: the simulator's base is the real one, as for a third-party DEP client.
  const { url, sim } = await start(t)
  const oauth = new OAuth({
    consumer: { key: DEPSIM_CREDENTIALS.consumer_key, secret: DEPSIM_CREDENTIALS.consumer_secret },
    signature_method: 'HMAC-SHA1',
    hash_function: (base, key) => createHmac('sha1', key).update(base).digest('base64')
  })
  const session = async (timestamp?: number): Promise<Answer> => {
    const data = oauth.authorize({ url: `${url}/session`, method: 'GET' }, { key: DEPSIM_CREDENTIALS.access_token, secret: DEPSIM_CREDENTIALS.access_secret })
    if (timestamp !== undefined) {
      data.oauth_timestamp = timestamp
      data.oauth_signature = oauth.getSignature({ url: `${url}/session`, method: 'GET' }, DEPSIM_CREDENTIALS.access_secret, data)
    }
    return await call(url, 'GET', '/session', { headers: { authorization: oauth.toHeader(data).Authorization } })
  }
  const first = await session()
  t.equal(first.status, 200)
  const token = first.json().auth_session_token
  const fetched = await call(url, 'POST', '/server/devices', { token, body: { limit: 1000 } })
  t.equal(fetched.status, 200)
  const { cursor } = fetched.json()

  t.match((await call(url, 'POST', '/_sim/clock', { body: { advanceMs: 8 * 86_400_000 } })).json(), { now: String })
  t.same([(await call(url, 'GET', '/account', { token })).status], [401], 'Apple\'s time moved: the old session expired')
  const later = await session()
  t.equal(later.status, 200, 'the real-time signature is inside the window')
  const sync = await call(url, 'POST', '/devices/sync', { token: later.json().auth_session_token, body: { cursor } })
  t.same([sync.status, sync.text], [400, 'EXPIRED_CURSOR'], 'and the new session reaches the expired cursor')

  const ahead = await session(Math.floor(sim.now() / 1000))
  t.same([ahead.status, ahead.text], [401, 'UNAUTHORIZED'], 'a timestamp at the simulator\'s advanced time is 8 days from the wall clock')
})
