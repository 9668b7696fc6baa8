/**
 * The engine over the store alone, on each database, with Apple played by a stub (answers the
 * simulator does not give): a serial left out of Apple's answer counts as FAILED; a device queued
 * for its profile keeps its retry schedule through a later change, and leaves the queue once it
 * sits on another profile; a call failing as a whole waits (Apple's Retry-After when given)
 * without an attempt; the queue's stats; an engine without the lease writes nothing; a failed pass
 * is logged; a stopped engine arms no timer; the backfill jobs' edge cases.
 */
import t from 'tap'
import { DepError, type DepClient } from '../../src/dep/index.js'
import { AnswerCounter } from '../../src/enrollment/answers.js'
import { applyRulesJob, reassignProfileJob } from '../../src/enrollment/apply-job.js'
import { AssignmentEngine, type AssignmentEngineOptions } from '../../src/enrollment/engine.js'
import { ManualScheduler } from '../../src/scheduler.js'
import { DIALECTS, openTestStore } from '../databases.js'

const MIN = 60_000

for (const dialect of DIALECTS) {
  t.test(dialect, async (t) => {
    const clock = new ManualScheduler()
    const store = await openTestStore(t, dialect, { now: () => new Date(clock.now()) })
    t.ok(await store.mirror.acquireLease('default', 'me', 24 * 60 * MIN))
    await store.mirror.startFullFetch('default', 'me')
    let cursor: string | null = null
    const page = async (devices: Array<Record<string, string>>): Promise<void> => {
      const next = `c${Math.random()}`
      await store.mirror.applyPage('default', 'me', { phase: 'fetch', sentCursor: cursor, devices: devices.map((d) => ({ profile_status: 'empty', ...d })) as never, cursor: next, moreToFollow: true })
      cursor = next
    }
    await store.enrollment.putProfile('default', 'macs', { profile: '{}', contentHash: 'h1', profileUuid: 'UUID1' })
    t.match(await store.enrollment.putRules('default', [{ name: 'all', profile: 'macs' }], 'empty'), { ok: true })

    const calls: string[][] = []
    let answer: (serials: string[]) => Promise<Record<string, unknown>> = async (serials) => ({ devices: Object.fromEntries(serials.filter((s) => s !== 'B').map((s) => [s, 'SUCCESS'])) })
    const client = { assignProfile: async (_uuid: string, serials: string[]) => { calls.push(serials); return await answer(serials) } } as unknown as DepClient
    const logs: string[] = []
    const reflected: string[] = []
    const options: AssignmentEngineOptions = {
      repo: store.assignments,
      enrollment: store.enrollment,
      lease: { owner: 'me', isLeader: () => true },
      servers: { names: () => ['default'], client: () => client },
      reflect: async (_s, _u, serials) => { reflected.push(...serials) },
      scheduler: clock,
      giveUpMs: 7 * 24 * 60 * MIN,
      recheckMs: 60 * MIN,
      log: { info: (_o, msg) => { logs.push(msg) }, warn: (_o, msg) => { logs.push(msg) } },
      describeError: (err) => `(${(err as Error).message})`,
      batchSize: 2,
      feedBatch: 1
    }
    const engine = new AssignmentEngine(options)
    const row = async (serial: string) => (await store.assignments.list('default', { serial, limit: 1 }))[0]

    await page([{ serial_number: 'A' }, { serial_number: 'B' }, { serial_number: 'C' }])
    await engine.kick('default')
    t.same(calls, [['A', 'B'], ['C']], 'calls of at most batchSize serials')
    t.same(reflected, ['A', 'C'])
    t.match(await row('B'), { status: 'failed', attempts: 1, last_result: 'FAILED', next_attempt_at: new Date(clock.now() + 60 * MIN).toISOString() }, 'a serial left out of the answer counts as FAILED')

    await page([{ serial_number: 'B', color: 'red' }])
    await engine.kick('default')
    t.match(await row('B'), { status: 'failed', attempts: 1, next_attempt_at: new Date(clock.now() + 60 * MIN).toISOString() }, 'a later change keeps the schedule')
    await page([{ serial_number: 'B', profile_status: 'assigned', profile_uuid: 'OTHER' }])
    await engine.kick('default')
    t.equal(await row('B'), undefined, 'on another profile now: out of the queue')
    t.equal(calls.length, 2)

    // Whole calls failing: our backoff, then Apple's Retry-After; no attempt spent.
    answer = async () => { throw new Error('socket hang up') }
    const t0 = clock.now()
    await page([{ serial_number: 'F' }])
    engine.start()
    await clock.advance(0)
    t.match(await row('F'), { status: 'pending', attempts: 0, next_attempt_at: new Date(t0 + 5 * MIN).toISOString(), last_error: /failed: \(socket hang up\)/ })
    t.match(await store.assignments.stats(), [{ server: 'default', depth: 1, oldestPendingAt: new Date(t0).toISOString() }])
    answer = async () => { throw new DepError('unavailable', { code: 'SERVICE_UNAVAILABLE', status: 503, endpoint: 'assign_profile', retryAfterSeconds: 120 }) }
    await clock.advance(5 * MIN)
    t.match(await row('F'), { status: 'pending', attempts: 0, next_attempt_at: new Date(t0 + 7 * MIN).toISOString() }, 'Retry-After')
    answer = async (serials) => ({ devices: Object.fromEntries(serials.map((s) => [s, 'SUCCESS'])) })
    await clock.advance(2 * MIN)
    t.match(await row('F'), { status: 'succeeded', attempts: 1 })
    t.same(await store.assignments.stats(), [])
    // An answer arriving for a row that is no longer outstanding (or was queued again for another profile) changes nothing.
    await store.assignments.recordOutcomes('default', 'me', [{ serial: 'F', profileUuid: 'UUID1', status: 'failed', attempts: 9, streak: 9, last_result: 'FAILED', last_error: null, next_attempt_at: null, first_failed_at: null }])
    t.match(await row('F'), { status: 'succeeded', attempts: 1 }, 'a late answer for a finished row is not written')

    await new AssignmentEngine({ ...options, lease: { owner: 'someone else', isLeader: () => true } }).kick('default')
    t.ok(logs.includes('assignments: another replica took the sync lease; its engine carries on'), 'without the lease: nothing written')
    await new AssignmentEngine({ ...options, enrollment: { ...store.enrollment, getRules: async () => { throw new Error('database unreachable') } } }).kick('default')
    t.ok(logs.includes('assignments: a pass failed; it is tried again at the next sync or timer'))

    // The jobs' edge cases: a device leaving the queue while followed; a profile deleted before its job ran.
    // The job's results are the real job store's: the job reads its followed serials back through them.
    const results: Array<{ serial: string, status: string }> = []
    let jobs = 0
    const ctx = async (input: object) => {
      const id = `job-${++jobs}`
      await store.jobs.insert({ id, kind: 'apply_rules', server: 'default', org: null, input, total: null })
      return {
        job: { id },
        input,
        signal: new AbortController().signal,
        serialStatuses: async () => await store.jobs.serialStatuses(id),
        setTotal: async () => {},
        progress: async () => {},
        recordResults: async (rows: Array<{ serial: string, status: string }>) => {
          results.push(...rows)
          await store.jobs.recordResults(id, rows)
        }
      } as never
    }
    // Before the job's first look, the followed devices move to another profile: the engine drops them from the queue.
    let moved = false
    const settledFor: typeof store.assignments.settledFor = async (...args) => {
      if (!moved) {
        moved = true
        t.match(await store.assignments.list('default', { status: 'pending', limit: 10 }), [{ serial_number: 'A' }, { serial_number: 'C' }, { serial_number: 'F' }], 'the job queued them')
        await page(['A', 'C', 'F'].map((serial) => ({ serial_number: serial, profile_status: 'assigned', profile_uuid: 'OTHER' })))
        await engine.kick('default')
      }
      return await store.assignments.settledFor(...args)
    }
    const deps = { store: { ...store, assignments: { ...store.assignments, settledFor } }, kick: () => {}, scheduler: clock, answers: new AnswerCounter(), pollMs: MIN }
    t.match(await applyRulesJob(deps).run(await ctx({ server: 'default' })), { queued: 3, by_status: { not_needed: 3 } })
    t.same(results.filter((r) => r.status !== 'queued').map((r) => r.serial).sort(), ['A', 'C', 'F'], 'the mirror showed them without a profile (reflect is a stub here), then on another one')
    t.same(await reassignProfileJob(deps).run(await ctx({ server: 'default', name: 'gone' })), { queued: 0, by_status: {} })

    // settledFor: of a job's serials still at the placeholder, those whose row has an outcome or is gone, by serial.
    await store.jobs.insert({ id: 'follow', kind: 'apply_rules', server: 'default', org: null, input: {}, total: null })
    await store.assignments.queueDevices('default', ['P', 'S'].map((serial) => ({ serial, want: { rule: 'all', profile: 'macs', profileUuid: 'UUID1' } })))
    await store.assignments.recordOutcomes('default', 'me', [{ serial: 'S', profileUuid: 'UUID1', status: 'succeeded', attempts: 1, streak: 1, last_result: 'SUCCESS', last_error: null, next_attempt_at: null, first_failed_at: null }])
    await store.jobs.recordResults('follow', ['P', 'S', 'Z', 'A'].map((serial) => ({ serial, status: serial === 'A' ? 'succeeded' : 'queued' })))
    t.same(await store.assignments.settledFor('default', 'follow', 'queued'), [
      { serial: 'S', status: 'succeeded', last_error: null },
      { serial: 'Z', status: null, last_error: null }
    ], 'P is outstanding, Z has no row, A is no longer at the placeholder')
    t.same((await store.assignments.rowsFor('default', ['P', 'S', 'Z'])).map((r) => [r.serial_number, r.status]).sort(), [['P', 'pending'], ['S', 'succeeded']], 'rowsFor: the rows there are (a resumed job looks for the serials missing)')

    // A kick during a pass waits for it and runs one more after it.
    const sent = calls.length
    await Promise.all([engine.kick('default'), engine.kick('default')])
    t.same(calls.slice(sent), [['P']], 'the pending row went once, however many kicks')

    await engine.stop()
    t.equal(clock.pending, 0)
    engine.start()
    await engine.kick('default')
    t.equal(clock.pending, 0, 'a stopped engine neither arms a timer nor works')
  })
}
