/**
 * A server deleted and added again under the same name: its change feed never reuses a sequence
 * number, so a consumer's `since` from the old feed is refused (409 SINCE_AHEAD) instead of being
 * answered with a silent subset of the new mirror, and a consumer restarting from 0 gets every
 * device of the new mirror as added. The real app with its syncer, the simulator over HTTP.
 */
import t, { type Test } from 'tap'
import { request } from 'undici'
import { DEPSIM_CREDENTIALS } from '../../../../../src/simulator/index.js'
import { buildTestApp, type TestApp, until, untilReady } from '../../../../helper.js'

const S = '/v1/servers/default'

interface Feed { changes: Array<{ seq: number, op: string, serial_number: string }>, next_since: number, last_seq: number, more: boolean }

async function mirrorApp (t: Test): Promise<TestApp & { sim: NonNullable<TestApp['sim']> }> {
  // A 3 s lease: the server list is re-read every second, so a deletion is seen (and purged) quickly.
  const built = await buildTestApp(t, { env: { DEPGATE_MIRROR: 'true', DEPGATE_SYNC_LEASE: '3', DEPGATE_SYNC_PAGE_SIZE: '4' }, simulator: { devices: 6 } })
  await built.app.ready()
  await untilReady(built.app)
  return { ...built, sim: built.sim as NonNullable<TestApp['sim']> }
}

/** Reads the feed from `since` to its head, as a consumer does; stops at the first refusal. */
async function drain (m: TestApp, since: number): Promise<{ status: number, code?: string, changes: Feed['changes'], next: number }> {
  const changes: Feed['changes'] = []
  let next = since
  for (;;) {
    const res = await m.app.inject({ url: `${S}/devices/changes?since=${next}&limit=3`, headers: m.auth() })
    if (res.statusCode !== 200) return { status: res.statusCode, code: res.json().code, changes, next }
    const page: Feed = res.json()
    changes.push(...page.changes)
    next = page.next_since
    if (!page.more) return { status: 200, changes, next }
  }
}

async function simDevices (m: { sim: NonNullable<TestApp['sim']> }): Promise<string[]> {
  const res = await m.sim.app.inject({ url: '/_sim/devices' })
  return (res.json().devices as Array<{ serial_number: string }>).map((d) => d.serial_number).sort()
}

async function simCall (m: { sim: NonNullable<TestApp['sim']> }, method: 'POST' | 'DELETE', url: string, payload: object = {}): Promise<void> {
  const res = await m.sim.app.inject({ method, url, payload })
  if (res.statusCode >= 300) throw new Error(`simulator ${method} ${url}: ${res.statusCode} ${res.body}`)
}

async function deleteServer (m: TestApp): Promise<void> {
  const res = await m.app.inject({ method: 'DELETE', url: S, headers: m.auth() })
  if (res.statusCode !== 204) throw new Error(`DELETE ${S}: ${res.statusCode} ${res.body}`)
  // The delete drops the server's mirror in its transaction: its change log goes, and it is no longer ready.
  const dropped = (await m.store.mirror.getState('default'))?.ready_at == null && (await m.store.mirror.changesSince('default', 0, 1)).changes.length === 0
  if (!dropped) throw new Error('the mirror of the deleted server is still there')
  // And the replica's look at the server list stops its syncer, before the server comes back.
  await until('the syncer stopped', async () => (await m.app.mirror.status('default')).leader === false)
}

async function addServer (m: TestApp & { sim: NonNullable<TestApp['sim']> }): Promise<void> {
  const res = await m.app.inject({ method: 'PUT', url: S, headers: m.auth(), payload: { token: DEPSIM_CREDENTIALS, base_url: m.sim.url } })
  if (res.statusCode !== 201) throw new Error(`PUT ${S}: ${res.statusCode} ${res.body}`)
}

t.test('after delete and re-add, a since from the old feed is never answered with a silent subset', async (t) => {
  const m = await mirrorApp(t)
  const old = await drain(m, 0)
  t.equal(old.status, 200)
  t.equal(old.changes.length, 6, 'the first mirror: six devices added')
  const head = old.next
  t.equal(head, 6)

  await deleteServer(m)
  const listed = await m.app.inject({ url: '/v1/servers', headers: m.auth() })
  t.same(listed.json(), { servers: [] }, 'a dropped mirror is no server')
  t.notMatch((await m.app.inject({ url: '/metrics' })).body, /depgate_inventory_devices\{server="default"\}/, 'nor a metrics series')

  // Apple changed meanwhile: one device gone, four new ones; the new mirror's head passes the old one.
  const gone = (await simDevices(m))[0]
  await simCall(m, 'DELETE', `/_sim/devices/${gone}`)
  await simCall(m, 'POST', '/_sim/devices', { count: 4 })
  await addServer(m)
  await untilReady(m.app)
  const now = await simDevices(m)
  t.equal(now.length, 9)
  const status = (await m.app.inject({ url: S, headers: m.auth() })).json()
  t.match(status.inventory, { ready: true, device_count: 9, phase: 'sync' })
  t.ok(status.inventory.last_seq > head + 9 - 1, `the new feed continues above the old head (${status.inventory.last_seq})`)

  // The consumer still holding since=6: refused (so it starts again from 0), never a subset of the new mirror.
  const stale = await drain(m, head)
  t.match(stale, { status: 409, code: 'SINCE_AHEAD', changes: [] }, 'refused: start again from 0')
  for (const since of [1, head - 1]) t.match(await drain(m, since), { status: 409, code: 'SINCE_AHEAD' }, `since=${since} of the old feed is refused`)

  // Starting again from 0: the new mirror whole, every sequence number above the old feed's.
  const fresh = await drain(m, 0)
  t.equal(fresh.status, 200)
  t.same(fresh.changes.map((c) => c.serial_number).sort(), now, 'since=0: every device of the new mirror')
  t.ok(fresh.changes.every((c) => c.op === 'added' && c.seq > head), 'all added, none numbered like the old feed')
  t.same(fresh.changes.map((c) => c.seq), fresh.changes.map((_, i) => fresh.changes[0].seq + i), 'the new feed has no gaps')
  t.equal((await drain(m, fresh.changes[2].seq)).changes.length, 6, 'a since of the new feed is answered as usual')
  t.equal(fresh.next, status.inventory.last_seq)
})

t.test('a long poll that spans a delete and re-add is refused rather than answered from the new mirror', async (t) => {
  const m = await mirrorApp(t)
  const head = (await drain(m, 0)).next
  let waiting: () => void = () => {}
  const entered = new Promise<void>((resolve) => { waiting = resolve })
  const mirror = m.app.mirror
  const waitForChange = mirror.waitForChange.bind(mirror)
  mirror.waitForChange = async (...args) => {
    waiting()
    return await waitForChange(...args)
  }
  const url = await m.app.listen({ host: '127.0.0.1', port: 0 })
  const poll = request(`${url}${S}/devices/changes?since=${head}&wait=30`, { headers: m.auth() })
  await entered
  await deleteServer(m)
  await addServer(m)
  const res = await poll
  const body = await res.body.json() as { code?: string, changes?: unknown[] }
  t.equal(res.statusCode, 409, 'the feed was rebuilt while the caller waited')
  t.equal(body.code, 'SINCE_AHEAD')
  await untilReady(m.app)
  t.match(await drain(m, head), { status: 409, code: 'SINCE_AHEAD' }, 'and stays refused')
})

t.test('an empty re-added mirror: its own head is a valid since, the old feed\'s is not', async (t) => {
  const m = await mirrorApp(t)
  const head = (await drain(m, 0)).next
  await deleteServer(m)
  for (const serial of await simDevices(m)) await simCall(m, 'DELETE', `/_sim/devices/${serial}`)
  await addServer(m)
  await untilReady(m.app)
  const list = (await m.app.inject({ url: `${S}/devices`, headers: m.auth() })).json()
  t.match(list, { count: 0 })
  t.ok(list.last_seq > head, 'the empty new mirror\'s head is above the old one')
  t.match(await drain(m, list.last_seq), { status: 200, changes: [] }, 'following the new mirror from its listing works')
  t.match(await drain(m, head), { status: 409, code: 'SINCE_AHEAD' })
  t.match(await drain(m, 0), { status: 200, changes: [], next: list.last_seq }, 'since=0, nothing yet: next_since is where the new feed starts')
  // A long poll from 0 waits (nothing of the new mirror yet), it does not answer at once.
  const started = Date.now()
  const waited = await m.app.inject({ url: `${S}/devices/changes?since=0&wait=1`, headers: m.auth() })
  t.match(waited.json(), { changes: [] })
  t.ok(Date.now() - started >= 900, 'the long poll waited')

  // Deleted again at once (the new mirror has written nothing): the numbers stay where they are.
  await deleteServer(m)
  await simCall(m, 'POST', '/_sim/devices', { count: 2 })
  await addServer(m)
  await untilReady(m.app)
  const after = await drain(m, list.last_seq)
  t.match(after, { status: 200 }, 'an empty mirror\'s head stays a valid since: that consumer saw nothing to lose')
  t.equal(after.changes.length, 2)
})

t.test('a server just added, before its mirror has any state: an empty feed from 0, nothing beyond', async (t) => {
  // The default lease: the server list is re-read only every 10 s, so the new server has no state row yet.
  const m = await buildTestApp(t, { env: { DEPGATE_MIRROR: 'true' }, simulator: { devices: 2 } })
  await m.app.ready()
  const put = await m.app.inject({ method: 'PUT', url: '/v1/servers/fresh', headers: m.auth(), payload: { token: DEPSIM_CREDENTIALS, base_url: m.sim!.url } })
  t.equal(put.statusCode, 201)
  const feed = await m.app.inject({ url: '/v1/servers/fresh/devices/changes?since=0', headers: m.auth() })
  t.match(feed.json(), { changes: [], next_since: 0, last_seq: 0, more: false })
  const ahead = await m.app.inject({ url: '/v1/servers/fresh/devices/changes?since=1', headers: m.auth() })
  t.match(ahead.json(), { status: 409, code: 'SINCE_AHEAD' })
})
