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
    const results: Array<{ serial: string, status: string }> = []
    const ctx = (input: object) => {
      const recorded = new Map<string, string>()
      return {
        input,
        signal: new AbortController().signal,
        doneSerials: async () => new Set<string>(),
        serialStatuses: async () => new Map(recorded),
        setTotal: async () => {},
        progress: async () => {},
        recordResults: async (rows: Array<{ serial: string, status: string }>) => {
          results.push(...rows)
          for (const r of rows) recorded.set(r.serial, r.status)
        }
      } as never
    }
    const deps = { store: { ...store, assignments: { ...store.assignments, rowsFor: async () => [] } }, kick: () => {}, scheduler: clock, pollMs: MIN }
    t.match(await applyRulesJob(deps).run(ctx({ server: 'default' })), { queued: 3, by_status: { not_needed: 3 } })
    t.same(results.filter((r) => r.status !== 'queued').map((r) => r.serial).sort(), ['A', 'C', 'F'], 'the mirror still shows them without a profile (reflect is a stub here)')
    t.same(await reassignProfileJob(deps).run(ctx({ server: 'default', name: 'gone' })), { queued: 0, by_status: {} })

    await engine.stop()
    t.equal(clock.pending, 0)
    engine.start()
    await engine.kick('default')
    t.equal(clock.pending, 0, 'a stopped engine neither arms a timer nor works')
  })
}
