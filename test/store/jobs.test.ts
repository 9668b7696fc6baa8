/**
 * The job repository on both dialects: claims (one winner, expired claims taken over: a crashed
 * replica's job resumes elsewhere), fenced writes, idempotent results, cancel, paging, retention.
 */
import t, { type Test } from 'tap'
import { DIALECTS, openTestStore, type TestDialect } from '../databases.js'

for (const dialect of DIALECTS) {
  t.test(dialect, async (t) => { await cases(t, dialect) })
}

const newJob = (id: string, kind = 'k', server: string | null = 'a') => ({ id, kind, server, org: null, input: { n: id }, total: null })

async function cases (t: Test, dialect: TestDialect): Promise<void> {
  let clock = Date.parse('2026-12-01T00:00:00Z')
  const store = await openTestStore(t, dialect, { now: () => new Date(clock) })
  // A second store on the same database: another replica.
  const other = await openTestStore(t, dialect, { now: () => new Date(clock), database: store.database })
  const jobs = store.jobs

  t.test('claim: oldest first, one winner, expired claim taken over, fenced writes', async (t) => {
    const first = await jobs.insert(newJob('j1'))
    t.match(first, { id: 'j1', state: 'queued', progress: { done: 0, total: null }, server: 'a', org: null, cancel_requested: false, started_at: null })
    clock += 1
    await jobs.insert({ ...newJob('j2'), total: 7 })
    t.equal(await jobs.claim('r1', [], 30_000), undefined, 'no kinds, nothing claimed')
    t.equal(await jobs.claim('r1', ['other'], 30_000), undefined)
    const [a, b] = await Promise.all([jobs.claim('r1', ['k'], 30_000), other.jobs.claim('r2', ['k'], 30_000)])
    t.same(new Set([a?.id, b?.id]), new Set(['j1', 'j2']), 'two replicas claim two different jobs')
    t.equal(await jobs.claim('r3', ['k'], 30_000), undefined, 'nothing left to claim')
    const mine = a?.id === 'j1' ? 'r1' : 'r2'
    const j1 = await jobs.get('j1')
    t.match(j1, { state: 'running', input: { n: 'j1' }, started_at: '2026-12-01T00:00:00.001Z' })
    t.equal(await jobs.setProgress('j1', mine, { total: 10 }), true)
    t.equal(await jobs.setProgress('j1', mine, { done: 4 }), true)
    t.equal(await jobs.setProgress('j1', 'stranger', { done: 5 }), false, 'only the holder writes progress')
    t.same((await jobs.get('j1'))?.progress, { done: 4, total: 10 })
    t.same(await jobs.heartbeat('j1', mine, 30_000), { held: true, cancelRequested: false })
    // The holder dies: its claim runs out, another replica resumes the job where it was.
    clock += 30_001
    const taken = await other.jobs.claim('r9', ['k'], 30_000)
    t.ok(taken !== undefined && ['j1', 'j2'].includes(taken.id), 'an expired claim is taken over')
    t.equal(taken?.started_at, '2026-12-01T00:00:00.001Z', 'started_at is kept from the first claim')
    t.same(await jobs.heartbeat(taken!.id, taken!.id === 'j1' ? mine : (mine === 'r1' ? 'r2' : 'r1'), 30_000), { held: false, cancelRequested: false }, 'the old holder learns it lost the claim')
    t.equal(await jobs.finish(taken!.id, 'r1-old', { state: 'succeeded' }), false)
    t.equal(await jobs.finish(taken!.id, 'r9', { state: 'succeeded', summary: { SUCCESS: 3 } }), true)
    t.match(await jobs.get(taken!.id), { state: 'succeeded', summary: { SUCCESS: 3 }, error: null, finished_at: '2026-12-01T00:00:30.002Z' })
    const rest = (await jobs.claim('r9', ['k'], 30_000))!
    t.equal(await jobs.finish(rest.id, 'r9', { state: 'failed', error: { code: 'X', message: 'why' } }), true)
    t.match(await jobs.get(rest.id), { state: 'failed', error: { code: 'X', message: 'why' }, summary: null })
  })

  t.test('results: idempotent per serial, the latest wins, paged by serial, status filter', async (t) => {
    await jobs.insert(newJob('r'))
    await jobs.recordResults('r', [{ serial: 'B', status: 'FAILED' }, { serial: 'A', status: 'SUCCESS', detail: 'ok' }, { serial: 'B', status: 'THROTTLED' }])
    await jobs.recordResults('r', [{ serial: 'C', status: 'SUCCESS' }])
    await jobs.recordResults('r', [{ serial: 'B', status: 'SUCCESS' }])
    t.same([...(await jobs.doneSerials('r'))].sort(), ['A', 'B', 'C'])
    t.same([...(await jobs.serialStatuses('r'))].sort(), [['A', 'SUCCESS'], ['B', 'SUCCESS'], ['C', 'SUCCESS']], 'each serial with its latest status')
    const all = await jobs.listResults('r', { limit: 2 })
    t.same(all.map((r) => [r.serial, r.status, r.detail]), [['A', 'SUCCESS', 'ok'], ['B', 'SUCCESS', null]])
    t.same((await jobs.listResults('r', { limit: 2, after: 'B' })).map((r) => r.serial), ['C'])
    await jobs.recordResults('r', [{ serial: 'D', status: 'NOT_ACCESSIBLE' }])
    t.same((await jobs.listResults('r', { limit: 10, status: 'NOT_ACCESSIBLE' })).map((r) => r.serial), ['D'])
    t.same(await jobs.statusCounts('r'), { NOT_ACCESSIBLE: 1, SUCCESS: 3 })
    const many = Array.from({ length: 1200 }, (_, i) => ({ serial: `S${String(i).padStart(5, '0')}`, status: 'SUCCESS' }))
    await jobs.recordResults('r', many)
    t.equal((await jobs.doneSerials('r')).size, 1204, 'more rows than one insert takes')
  })

  t.test('cancel: queued at once, running marked for its runner, finished unchanged, unknown', async (t) => {
    await jobs.insert(newJob('c1', 'cancel-kind'))
    t.match(await jobs.requestCancel('c1'), { finished: false, job: { state: 'cancelled', cancel_requested: true } })
    t.equal(await jobs.claim('r1', ['cancel-kind'], 30_000), undefined, 'a cancelled job is never claimed')
    t.match(await jobs.requestCancel('c1'), { finished: true, job: { state: 'cancelled' } })
    await jobs.insert(newJob('c2', 'cancel-kind'))
    await jobs.claim('r1', ['cancel-kind'], 30_000)
    t.match(await jobs.requestCancel('c2'), { finished: false, job: { state: 'running', cancel_requested: true } })
    t.same(await jobs.heartbeat('c2', 'r1', 30_000), { held: true, cancelRequested: true })
    t.equal(await jobs.requestCancel('nope'), undefined)
  })

  t.test('list: newest first, filters, keyset paging; counts', async (t) => {
    const page1 = await jobs.list({ limit: 2 })
    t.equal(page1.length, 2)
    const page2 = await jobs.list({ limit: 100, after: { createdAt: page1[1].created_at, id: page1[1].id } })
    const everything = await jobs.list({ limit: 100 })
    t.same([...page1, ...page2].map((j) => j.id), everything.map((j) => j.id))
    t.ok(everything.every((j, i) => i === 0 || everything[i - 1].created_at >= j.created_at))
    t.same((await jobs.list({ limit: 10, state: 'cancelled' })).map((j) => j.id).sort(), ['c1'])
    t.same((await jobs.list({ limit: 10, kind: 'cancel-kind', state: 'running' })).map((j) => j.id), ['c2'])
    await jobs.insert(newJob('z', 'k', 'b'))
    t.same((await jobs.list({ limit: 10, server: 'b' })).map((j) => j.id), ['z'])
    const counts = await jobs.counts()
    t.match(counts.find((c) => c.kind === 'cancel-kind' && c.state === 'running'), { count: 1 })
  })

  t.test('release gives the claim up at once; purge drops old finished jobs with their results', async (t) => {
    await jobs.insert(newJob('p1', 'purge-kind'))
    await jobs.claim('r1', ['purge-kind'], 30_000)
    await jobs.release('p1', 'r1')
    clock += 1
    t.match(await other.jobs.claim('r2', ['purge-kind'], 30_000), { id: 'p1' }, 'released: claimable without waiting for the lease')
    await jobs.recordResults('p1', [{ serial: 'A', status: 'SUCCESS' }])
    await jobs.finish('p1', 'r2', { state: 'succeeded', summary: {} })
    const finishedAt = (await jobs.get('p1'))!.finished_at!
    t.ok(await jobs.purge(finishedAt) >= 2, 'jobs finished before the cut-off go')
    t.match(await jobs.get('p1'), { state: 'succeeded' }, 'a job finished at the cut-off stays')
    clock += 1
    t.equal(await jobs.purge(new Date(clock).toISOString()), 1)
    t.equal(await jobs.get('p1'), undefined)
    t.same([...(await jobs.doneSerials('p1'))], [])
    t.match(await jobs.get('c2'), { state: 'running' }, 'unfinished jobs stay')
  })
}
