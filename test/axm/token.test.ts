/**
 * The access token (docs/apple-axm.md §1.4, §1.6): one token request for many concurrent callers,
 * renewed before it expires, a 401 answered by one refresh, the assertion re-used until it nears
 * its end. Real HTTP against the simulator, whose clock the tests drive.
 */
import t from 'tap'
import type { AxmClientEvent } from '../../src/axm/index.js'
import { startOrg } from './fixtures.js'

t.test('100 concurrent calls make one token request', async (t) => {
  const org = await startOrg(t)
  const client = org.client({ onEvent: () => { throw new Error('a broken metrics hook') } })
  t.same(client.tokenState(), {}, 'no token before the first call')
  const serials = org.sim.axm.org.order.slice(0, 10)
  const devices = await Promise.all(Array.from({ length: 100 }, async (_, i) => await client.getOrgDevice(serials[i % 10])))
  t.equal(devices.length, 100)
  t.same(devices.slice(0, 10).map((d) => d.serialNumber), serials)
  const stats = (await org.call('GET', '/_sim/axm/stats')).json
  t.match(stats, { tokensIssued: 1, requests: { token: 1, org_device: 100 } })
  t.same((await org.call('POST', '/_sim/axm/stats/reset')).json.tokensIssued, 0)
})

t.test('a token expiring mid-run is renewed without a failed call', async (t) => {
  const org = await startOrg(t)
  const events: AxmClientEvent[] = []
  // The client reads the simulator's clock: it renews 5 minutes before Apple's expiry, unprompted.
  const client = org.client({ now: () => org.sim.now(), onEvent: (e) => events.push(e) })
  const serial = org.sim.axm.org.order[0]
  for (let minute = 0; minute < 150; minute += 10) {
    t.equal((await client.getOrgDevice(serial)).serialNumber, serial)
    org.sim.clock.advance(10 * 60_000)
  }
  const statuses = events.flatMap((e) => e.type === 'request' && e.endpoint !== 'token' ? [e.status] : [])
  t.same([...new Set(statuses)], [200], 'no call saw a 401')
  t.equal(events.filter((e) => e.type === 'token' && e.outcome === 'acquired').length, 3, 'renewed at 55 and 110 minutes')
  t.equal(events.filter((e) => e.type === 'assertion').length, 1, 'one assertion for every token request')
  const state = client.tokenState()
  t.equal((state.expiresAt as number) - (state.acquiredAt as number), 3_600_000)

  // A client on another clock meets Apple's 401 instead, refreshes once, and the call still succeeds.
  const wall = org.client({ onEvent: (e) => events.push(e) })
  await wall.getOrgDevice(serial)
  events.length = 0
  t.equal((await org.call('POST', '/_sim/axm/tokens/expire')).json.expired, 2)
  t.equal((await wall.getOrgDevice(serial)).serialNumber, serial)
  t.same(events.flatMap((e) => e.type === 'request' ? [`${e.endpoint} ${e.status}`] : []), ['org_device 401', 'token 200', 'org_device 200'])
})

t.test('a second 401 in a row is final, with Apple\'s errors kept', async (t) => {
  const org = await startOrg(t)
  const client = org.client()
  const serial = org.sim.axm.org.order[0]
  await client.getOrgDevice(serial)
  await org.call('POST', '/_sim/faults', { endpoint: 'axm.org_device', kind: 'status', status: 401, times: 2 })
  const err = await client.getOrgDevice(serial).catch((e: unknown) => e)
  t.match(err, { code: 'UNAUTHORIZED', status: 401, endpoint: 'org_device', errors: [{ status: '401', code: 'NOT_AUTHORIZED', id: /^[0-9a-f-]{36}$/ }] })
  t.equal(org.sim.axm.auth.issued, 2, 'one refresh between the two 401s')
})

t.test('the assertion is re-used across tokens and signed again late in its life', async (t) => {
  const org = await startOrg(t)
  const events: AxmClientEvent[] = []
  const client = org.client({ now: () => org.sim.now(), assertionLifetimeSec: 86_400, onEvent: (e) => events.push(e) })
  const serial = org.sim.axm.org.order[0]
  const signed = (): number => events.filter((e) => e.type === 'assertion').length
  await client.getOrgDevice(serial)
  org.sim.clock.advance(2 * 3_600_000)
  await client.getOrgDevice(serial)
  t.equal(signed(), 1, 'a new token, the same assertion')
  org.sim.clock.advance(20 * 3_600_000)
  await client.getOrgDevice(serial)
  t.equal(signed(), 2, 'past 90 % of a day: a new assertion')
  t.equal(org.sim.axm.auth.issued, 3)
})
