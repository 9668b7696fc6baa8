/**
 * The org refresher against the simulator's AxM side, on both dialects, on a hand-driven clock:
 * GETs spaced by the request budget, one replica per org (lease), a replica frozen mid-walk (as
 * killed) replaced by another that loses nothing and whose late writes are refused, Apple's 429
 * holding the budget for its Retry-After, the races of a look (a tick joining the running look, a
 * stop half way through one, a walk still going from an earlier look), and the failures' codes as
 * an API caller gets them.
 */
import { randomBytes } from 'node:crypto'
import t, { type Test } from 'tap'
import { AxmError } from '../../src/axm/index.js'
import { OrgBudgets } from '../../src/orgs/budget.js'
import { describeOrgError } from '../../src/orgs/errors.js'
import { OrgRefresher, type OrgRefresherOptions } from '../../src/orgs/refresher.js'
import type { OrgClient } from '../../src/orgs/types.js'
import { ManualScheduler } from '../../src/scheduler.js'
import { createSecretBox } from '../../src/tokens/secret-box.js'
import { startOrg } from '../axm/fixtures.js'
import { DIALECTS, openTestStore, type TestDialect } from '../databases.js'

/** The simulated organisation: the DEP server's 20 devices and 30 more, read 10 a page. */
const TOTAL = 50

for (const dialect of DIALECTS) t.test(dialect, async (t) => { await cases(t, dialect) })

async function cases (t: Test, dialect: TestDialect): Promise<void> {
  const org = await startOrg(t, { devices: 20, orgDevices: 30 })
  const scheduler = new ManualScheduler()
  // settle() steps from timer to timer: a heartbeat keeps one armed while a walk waits on Apple, not on the clock.
  const heartbeat = scheduler.every(1000, () => {})
  t.teardown(heartbeat)
  const store = await openTestStore(t, dialect, { secretBox: createSecretBox(randomBytes(32)), now: () => new Date(scheduler.now()) })
  await store.orgs.upsert('acme', { clientId: org.account.clientId, keyId: org.account.keyId, privateKeyPem: org.account.privateKey, scope: 'business.api', baseUrl: org.url })
  const real = org.client({ pageLimit: 10, retryDeadlineMs: 200, retryDelayMs: 10 })
  const runs: Array<{ requests: number, error?: unknown }> = []
  const refresher = (client: OrgClient = real, more: Partial<OrgRefresherOptions> = {}): OrgRefresher => {
    const r = new OrgRefresher({
      store,
      client: async () => client,
      scheduler,
      // Long: settle() moves the clock a second a step while a walk waits on I/O.
      intervalMs: 864_000_000,
      budgets: new OrgBudgets(scheduler, 20),
      leaseMs: 30_000,
      describeError: describeOrgError,
      onRun: (_, outcome) => { runs.push(outcome) },
      ...more
    })
    return r
  }
  const run = async (r: OrgRefresher): Promise<void> => {
    await r.tick()
    const current = r.current('acme')
    if (current !== undefined) await scheduler.settle(current)
  }

  t.test('a walk within the budget; one replica per org; nothing due until the interval', async (t) => {
    const a = refresher()
    const b = refresher()
    const start = scheduler.now()
    await run(a)
    const [first] = runs
    t.equal(first.error, undefined)
    t.equal((await store.orgs.info('acme'))?.tokenExpiresAt, new Date(real.tokenState().expiresAt!).toISOString(), 'the org shows when the access token the walk used expires')
    const servers = (await org.call('GET', '/_sim/axm/servers')).json.servers.length as number
    t.ok(first.requests >= 1 + servers + TOTAL / 10, 'the server list, a page or more per server, a page per 10 devices')
    t.ok(scheduler.now() - start >= (first.requests - 1) * 3000, 'GETs spaced by 60 s / 20')
    t.match(await store.orgMirror.getState('acme'), { device_count: TOTAL, last_seq: TOTAL, last_error_code: null })
    await b.tick()
    t.equal(b.current('acme'), undefined, 'the other replica leaves the org to the lease holder')
    await a.tick()
    t.equal(a.current('acme'), undefined, 'not due again before the interval')
    await a.stop()
    t.equal(await store.orgMirror.acquireLease('acme', b.owner, 30_000), true, 'a stopped replica gives its lease up')
    await b.stop()
  })

  t.test('a replica frozen mid-walk (as killed): the next one takes over, loses nothing, the late writes are refused', async (t) => {
    await org.call('POST', '/_sim/axm/devices', { count: 5 })
    let release = (): void => {}
    const gate = new Promise<void>((resolve) => { release = resolve })
    const frozenAt = { reached: false }
    // Frozen before its third device page: a process killed (or paused) there.
    const frozen: OrgClient = Object.assign(Object.create(real) as OrgClient, {
      async * orgDevicePages (opts: Parameters<OrgClient['orgDevicePages']>[0]) {
        let n = 0
        for await (const page of real.orgDevicePages(opts)) {
          if (++n === 3) {
            frozenAt.reached = true
            await gate
          }
          yield page
        }
      }
    })
    const a = refresher(frozen)
    const b = refresher()
    await store.orgMirror.requestRefresh('acme')
    await a.tick()
    const walk = a.current('acme')!
    while (!frozenAt.reached) await scheduler.next()
    t.equal(a.current('acme'), walk, 'a is stuck in its walk')
    await scheduler.advance(31_000)
    await run(b)
    t.match(await store.orgMirror.getState('acme'), { device_count: TOTAL + 5, lease_owner: b.owner, last_error_code: null })
    t.equal((await store.orgMirror.listDevices('acme', {}, { limit: 1000 })).devices.length, TOTAL + 5, 'every device, none removed')
    release()
    await scheduler.settle(walk)
    t.equal(await store.orgMirror.countDevices('acme', {}), TOTAL + 5)
    t.equal((await store.orgMirror.getState('acme'))?.last_error_code, null, 'the stale replica wrote nothing, not even its failure')
    await b.stop()
  })

  t.test('429: the failure recorded, the budget held for Retry-After', async (t) => {
    let calls = 0
    const throttled: OrgClient = Object.assign(Object.create(real) as OrgClient, {
      async listMdmServers () {
        if (calls++ === 0) throw new AxmError('mdm_servers: Apple answered 429', { code: 'THROTTLED', endpoint: 'mdm_servers', status: 429, retryAfterSeconds: 120 })
        return await real.listMdmServers()
      }
    })
    const a = refresher(throttled)
    await store.orgMirror.requestRefresh('acme')
    await run(a)
    t.match(await store.orgMirror.getState('acme'), { last_error_code: 'UPSTREAM_THROTTLED', last_error_message: /throttling/ })
    await a.tick()
    t.equal(a.current('acme'), undefined, 'a failed run is not retried at every tick')
    const start = scheduler.now()
    await store.orgMirror.requestRefresh('acme')
    await run(a)
    t.ok(scheduler.now() - start >= 120_000, 'no GET before Retry-After ran out')
    t.match(await store.orgMirror.getState('acme'), { last_error_code: null, device_count: TOTAL + 5 })
    await a.stop()
  })

  /** A gate a test opens: `wait()` holds the caller until `open()`; `reached` says someone is held. */
  const gate = () => {
    let open = (): void => {}
    const opened = new Promise<void>((resolve) => { open = resolve })
    const g = { reached: 0, open: () => { open() }, wait: async () => { g.reached++; await opened } }
    return g
  }
  const reached = async (g: { reached: number }): Promise<void> => {
    while (g.reached === 0) await new Promise((resolve) => setImmediate(resolve))
  }

  t.test('a tick while a look is running joins it: the orgs are listed once', async (t) => {
    const held = gate()
    const held2 = Object.assign(Object.create(store) as typeof store, { orgs: { ...store.orgs, list: async () => { await held.wait(); return await store.orgs.list() } } })
    const a = refresher(real, { store: held2 })
    const first = a.tick()
    await reached(held)
    const second = a.tick()
    held.open()
    await Promise.all([first, second])
    t.equal(held.reached, 1, 'one look, not two')
    await a.stop()
  })

  t.test('stopped half way through a look: no org is taken up', async (t) => {
    const held = gate()
    let leases = 0
    const mirror = Object.assign(Object.create(store.orgMirror) as typeof store.orgMirror, {
      acquireLease: async (...args: Parameters<typeof store.orgMirror.acquireLease>) => { leases++; return await store.orgMirror.acquireLease(...args) }
    })
    const stopping = Object.assign(Object.create(store) as typeof store, {
      orgs: { ...store.orgs, list: async () => { const orgs = await store.orgs.list(); await held.wait(); return orgs } },
      orgMirror: mirror
    })
    const a = refresher(real, { store: stopping })
    await store.orgMirror.requestRefresh('acme')
    const look = a.tick()
    await reached(held)
    const stopped = a.stop()
    held.open()
    await Promise.all([look, stopped])
    t.equal(leases, 0, 'the look ended at the stop, before asking for any lease')
    t.equal(a.current('acme'), undefined, 'no walk started')
  })

  t.test('a walk still going from an earlier look is not started twice', async (t) => {
    const held = gate()
    // It also stands in for a client that holds no token of its own: the org's token times stay as they were.
    const slow: OrgClient = Object.assign(Object.create(real) as OrgClient, {
      async listMdmServers (signal?: AbortSignal) {
        await held.wait()
        return await real.listMdmServers(signal)
      },
      tokenState: () => ({})
    })
    const tokenBefore = (await store.orgs.info('acme'))?.tokenCheckedAt
    const a = refresher(slow)
    await store.orgMirror.requestRefresh('acme')
    await a.tick()
    const walk = a.current('acme')!
    await reached(held)
    // Asked again while the walk waits on Apple: due (requested, and the walk has not finished), yet not started again.
    await store.orgMirror.requestRefresh('acme')
    await a.tick()
    t.equal(a.current('acme'), walk, 'the same walk')
    t.equal(held.reached, 1, 'Apple asked once')
    held.open()
    await scheduler.settle(walk)
    t.match(await store.orgMirror.getState('acme'), { last_error_code: null, device_count: TOTAL + 5 })
    t.equal((await store.orgs.info('acme'))?.tokenCheckedAt, tokenBefore, 'no token to show: the stored times are kept')
    await a.stop()
  })

  t.test('the database away: a tick looks again later instead of failing', async (t) => {
    const away = Object.assign(Object.create(store) as typeof store, { orgs: { ...store.orgs, list: async () => { throw new Error('connection lost') } } })
    const a = refresher(real, { store: away })
    await a.tick()
    t.equal(a.current('acme'), undefined)
  })

  t.test('failures as an API caller gets them', async (t) => {
    const axm = (code: ConstructorParameters<typeof AxmError>[1]['code'], status = 0) => new AxmError('x', { code, endpoint: 'org_devices', status })
    t.match(describeOrgError(axm('INVALID_CLIENT'), 'acme'), { code: 'ORG_ACCOUNT_REFUSED', message: /org "acme"/ })
    t.match(describeOrgError(axm('NETWORK_ERROR'), 'acme'), { code: 'UPSTREAM_UNREACHABLE' })
    t.match(describeOrgError(axm('INVALID_RESPONSE', 200), 'acme'), { code: 'UPSTREAM_INVALID_RESPONSE' })
    t.match(describeOrgError(new AxmError('x', { code: 'UPSTREAM_ERROR', endpoint: 'org_devices', status: 500, errors: [{ status: '500', code: 'BOOM', title: 't', detail: 'd' }] }), 'acme'), { code: 'UPSTREAM_ERROR', message: /Apple: BOOM/ })
    t.match(describeOrgError(axm('THROTTLED', 429), 'acme'), { code: 'UPSTREAM_THROTTLED', retryAfterMs: 60_000 })
    t.match(describeOrgError(new Error('bug'), 'acme'), { code: 'INTERNAL' })
  })
}
