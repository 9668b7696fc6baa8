/**
 * The org change feed over real HTTP against the simulator's AxM side, on the suite's database
 * (DEPGATE_TEST_DATABASE): the first refresh's devices as `added`, walked in pages without a gap
 * or a repeat; a device that joined, one that moved off the DEP server and one Apple no longer
 * lists, as the next refresh logs them; a `since` beyond the head refused; and an org deleted and
 * added again numbering its new feed above the old one, the old feed's `since` refused.
 */
import t from 'tap'
import { request } from 'undici'
import { startOrgApp } from './org-app.js'

interface Change { seq: number, op: string, serial_number: string, at: string, device: { serial_number: string, mdm_server: string | null, attributes: Record<string, unknown> } }

/** The simulated organisation: the DEP server's 20 devices and 30 more. */
const TOTAL = 50

t.test('org change feed: pages, the next refresh\'s changes, refusals, an org added again', async (t) => {
  const { sim, call, body, refresh } = await startOrgApp(t)
  const feed = async (query: string) => await call('GET', `/v1/orgs/acme/devices/changes?${query}`)

  t.equal((await call('PUT', '/v1/orgs/acme', body)).status, 201)
  const empty = await feed('since=0')
  t.equal(empty.status, 200)
  t.match(empty.headers['content-type'], /^application\/json/)
  t.same(empty.json, { source: 'mirror', changes: [], count: 0, next_since: 0, last_seq: 0, more: false }, 'nothing before the first refresh')
  t.match(await feed('since=1'), { status: 409, json: { code: 'SINCE_AHEAD', detail: /^since=1 is beyond the newest change of org "acme" \(0\).* GET \/v1\/orgs\/acme\/devices\.$/ } })

  await refresh()
  const first: Change[] = []
  let since = 0
  for (;;) {
    const page = (await feed(`since=${since}&limit=20`)).json
    first.push(...page.changes)
    t.equal(page.count, page.changes.length)
    t.equal(page.last_seq, TOTAL)
    since = page.next_since
    if (!(page.more as boolean)) break
  }
  t.equal(since, TOTAL)
  t.same(first.map((c) => c.seq), Array.from({ length: TOTAL }, (_, i) => i + 1), 'every change once, in order')
  t.ok(first.every((c) => c.op === 'added' && c.device.serial_number === c.serial_number && c.device.attributes.serialNumber === c.serial_number))
  t.equal(new Set(first.map((c) => c.serial_number)).size, TOTAL)
  t.equal((await call('GET', '/v1/orgs/acme/devices?limit=1')).json.last_seq, TOTAL, 'the device list\'s last_seq is a place to follow from')

  // Apple's side moves: two devices join, one leaves the DEP server (unassigned), one is no longer listed.
  const axm = sim.app.sim.axm.org
  const joined = (await (await request(`${sim.url}/_sim/axm/devices`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{"count":2}' })).body.json() as { devices: Array<{ serialNumber: string }> }).devices.map((d) => d.serialNumber)
  const onDep = first.find((c) => c.device.mdm_server === axm.depServerId)!
  sim.app.sim.world.remove(onDep.serial_number, sim.app.sim.now())
  const gone = first.find((c) => c.device.mdm_server !== axm.depServerId && !joined.includes(c.serial_number))!
  // Apple releasing a device from the organisation: the simulator has no control route for it.
  axm.records.delete(gone.serial_number)
  axm.order.splice(axm.order.indexOf(gone.serial_number), 1)
  await refresh()

  const next = (await feed(`since=${TOTAL}`)).json
  t.match(next, { count: 4, next_since: TOTAL + 4, last_seq: TOTAL + 4, more: false })
  const bySerial = new Map((next.changes as Change[]).map((c) => [c.serial_number, c]))
  t.same(joined.map((s) => bySerial.get(s)?.op), ['added', 'added'])
  t.match(bySerial.get(onDep.serial_number), { op: 'modified', device: { mdm_server: null, attributes: { status: 'UNASSIGNED' } } })
  t.match(bySerial.get(gone.serial_number), { op: 'removed', device: gone.device }, 'a removal carries the device as last seen')
  t.same((await feed(`since=${TOTAL + 4}`)).json, { source: 'mirror', changes: [], count: 0, next_since: TOTAL + 4, last_seq: TOTAL + 4, more: false })
  t.same((await feed(`since=${TOTAL + 2}&limit=1`)).json.changes.map((c: Change) => c.seq), [TOTAL + 3])

  for (const query of ['', 'since=-1', 'since=x', 'since=0&limit=0', 'since=0&limit=1001', 'since=0&cursor=abc']) {
    t.match(await feed(query), { status: 400, headers: { 'content-type': /^application\/problem\+json/ } }, query)
  }
  t.match(await call('GET', '/v1/orgs/nope/devices/changes?since=0'), { status: 404, json: { code: 'ORG_NOT_FOUND' } })

  // Deleted and added again: the new feed goes on above the old one's head, the old `since`s are refused.
  const head = TOTAL + 4
  t.equal((await call('DELETE', '/v1/orgs/acme')).status, 204)
  t.equal((await call('PUT', '/v1/orgs/acme', body)).status, 201)
  t.same((await feed('since=0')).json, { source: 'mirror', changes: [], count: 0, next_since: head + 1, last_seq: head + 1, more: false }, 'the new feed starts above the old head')
  t.match(await feed('since=30'), { status: 409, json: { code: 'SINCE_AHEAD', detail: /^since=30 belongs to the change feed of org "acme" from before it was deleted and added again/ } })
  t.match(await feed(`since=${head}`), { status: 409, json: { code: 'SINCE_AHEAD' } })
  t.equal((await feed(`since=${head + 1}`)).status, 200)
  await refresh()
  const again = (await feed(`since=${head + 1}`)).json
  t.match(again, { count: TOTAL + 1, last_seq: head + 1 + TOTAL + 1, more: false })
  t.equal(again.changes[0].seq, head + 2)
  t.match((await call('GET', '/v1/orgs/acme')).json, { mirror: { last_seq: head + 1 + TOTAL + 1, device_count: TOTAL + 1 } })
})
