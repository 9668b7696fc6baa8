/**
 * The change feed after compaction, through the route: gaps are answered (a device's earlier
 * changes went, its latest is there), a since below a compacted removal is refused with 409
 * SINCE_EXPIRED, and since=0 still pages through every current device without being refused.
 * The real app with its syncer, the simulator over HTTP.
 */
import t from 'tap'
import { buildTestApp, type TestApp, untilReady } from '../../../../helper.js'

const S = '/v1/servers/default'

interface Feed { changes: Array<{ seq: number, op: string, serial_number: string }>, next_since: number, last_seq: number, more: boolean }

async function drain (m: TestApp, since: number, limit: number): Promise<{ status: number, code?: string, detail?: string, changes: Feed['changes'], next: number }> {
  const changes: Feed['changes'] = []
  let next = since
  for (;;) {
    const res = await m.app.inject({ url: `${S}/devices/changes?since=${next}&limit=${limit}`, headers: m.auth() })
    if (res.statusCode !== 200) return { status: res.statusCode, code: res.json().code, detail: res.json().detail, changes, next }
    const page: Feed = res.json()
    changes.push(...page.changes)
    next = page.next_since
    if (!page.more) return { status: 200, changes, next }
  }
}

t.test('a compacted feed: gaps are answered, a since below a compacted removal is SINCE_EXPIRED, since=0 still works', async (t) => {
  const m = await buildTestApp(t, { env: { DEPGATE_MIRROR: 'true', DEPGATE_SYNC_PAGE_SIZE: '4' }, simulator: { devices: 6 } })
  await m.app.ready()
  await untilReady(m.app)
  const sim = m.sim!
  const first = await drain(m, 0, 100)
  t.same(first.changes.map((c) => c.seq), [1, 2, 3, 4, 5, 6])
  const [gone, ...kept] = first.changes.map((c) => c.serial_number)

  // One device leaves, the others change: the sync's compaction deletes every first change.
  await sim.app.inject({ method: 'DELETE', url: `/_sim/devices/${gone}` })
  for (const serial of kept) await sim.app.inject({ method: 'PATCH', url: `/_sim/devices/${serial}`, payload: { asset_tag: 'moved' } })
  await m.app.mirror.requestSync('default', { wait: true })
  const after = await drain(m, 3, 100)
  t.equal(after.status, 200, 'a since before the gap is answered')
  t.same(after.changes.map((c) => c.seq), [7, 8, 9, 10, 11, 12], 'the first change after since=3 is 7: seqs 4-6 were compacted')
  t.same(after.changes.filter((c) => c.op === 'removed').map((c) => c.serial_number), [gone], 'the removal is there')
  t.same((await drain(m, 0, 2)).changes.map((c) => c.seq), [7, 8, 9, 10, 11, 12], 'since=0: each device once, by its latest change')
  const metrics = (await m.app.inject({ url: '/metrics' })).body
  t.match(metrics, /depgate_inventory_feed_compacted_total\{server="default",reason="superseded"\} 6\n/, 'the metric counts what compaction deleted')
  t.match(metrics, /depgate_inventory_feed_compacted_total\{server="default",reason="expired"\} 0\n/)

  // The removal (seq 7) ages past the retention while every kept change is above it: it goes,
  // and the floor rises to 7 (the app's own lease holder compacts, retention 0 standing for 30 days later).
  const compacted = await m.store.mirror.compactFeed('default', m.app.mirror.owner, 0)
  t.same(compacted, { superseded: 0, expired: 1, feedFloor: 7 })
  for (const since of [3, 6]) {
    const refused = await drain(m, since, 100)
    t.match(refused, { status: 409, code: 'SINCE_EXPIRED', changes: [] }, `since=${since} would miss the removal: refused`)
    t.match(refused.detail, /start again with since=0/)
  }
  t.match(await drain(m, 7, 100), { status: 200, changes: [{ seq: 8 }, { seq: 9 }, { seq: 10 }, { seq: 11 }, { seq: 12 }] }, 'since=floor is answered')
  const fresh = await drain(m, 0, 1)
  t.equal(fresh.status, 200, 'since=0, a change at a time: never refused')
  t.same(fresh.changes.map((c) => c.serial_number).sort(), [...kept].sort(), 'every current device')
  t.match(await drain(m, 13, 100), { status: 409, code: 'SINCE_AHEAD' }, 'beyond the head is still SINCE_AHEAD')
})
