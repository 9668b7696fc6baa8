/**
 * The job runner on a real store, its time driven by a ManualScheduler: a job runs to its summary,
 * a dead replica's job resumes here from the results it recorded, cancels reach the handler (here
 * at once, from another replica at the next heartbeat), failures keep their code, a lost claim
 * stops the handler, shutdown hands the job on, finished jobs are purged after the retention, and
 * a database that fails leaves the runner working at the next poll.
 */
import t from 'tap'
import { JobRunner, type JobRunnerOptions } from '../../src/jobs/runner.js'
import { JobFailure, type JobContext, type JobSummary } from '../../src/jobs/types.js'
import { ManualScheduler } from '../../src/scheduler.js'
import type { JobRepository } from '../../src/store/index.js'
import { openTestStore, testDialectFromEnv } from '../databases.js'
import { until } from '../helper.js'

const DAY = 86_400_000
const scheduler = new ManualScheduler({ start: Date.parse('2026-12-01T00:00:00Z') })
const store = await openTestStore(t, testDialectFromEnv(), { now: () => new Date(scheduler.now()) })
const other = await openTestStore(t, testDialectFromEnv(), { now: () => new Date(scheduler.now()), database: store.database })
const warnings: string[] = []
const errors: string[] = []
const failing = new Set<keyof JobRepository>()
// The real repository, with methods that fail while named in `failing` (a database outage).
const repo = new Proxy(store.jobs, {
  get (target, name: keyof JobRepository) {
    const real = target[name] as (...args: unknown[]) => Promise<unknown>
    return async (...args: unknown[]) => {
      if (failing.has(name)) throw new Error(`${name}: database down`)
      return await real.apply(target, args)
    }
  }
})
const options: JobRunnerOptions = {
  repo,
  scheduler,
  leaseMs: 30_000,
  pollMs: 5_000,
  retentionMs: 30 * DAY,
  purgeEveryMs: 3_600_000,
  concurrency: 2,
  log: { warn: (_o, msg) => { warnings.push(msg) }, error: (_o, msg) => { errors.push(msg) } }
}
const runner = new JobRunner(options)

/** A handler whose behaviour each test sets. */
let behaviour: (ctx: JobContext<{ serials: string[] }>) => Promise<JobSummary> = async () => ({})
runner.register<{ serials: string[] }>({ kind: 'test', run: async (ctx) => await behaviour(ctx) })

const stopped = (ctx: JobContext<unknown>): Promise<never> => new Promise((resolve, reject) => {
  ctx.signal.addEventListener('abort', () => { reject(ctx.signal.reason) }, { once: true })
})
const state = async (id: string, want: string) => await until(`job ${id} ${want}`, async () => {
  const job = await runner.get(id)
  return job?.state === want ? job : undefined
})

t.test('register and enqueue refuse what they cannot run', async (t) => {
  t.throws(() => { runner.register({ kind: 'test', run: async () => ({}) }) }, /registered twice/)
  await t.rejects(runner.enqueue({ kind: 'nope', input: {} }), /no job kind nope/)
  t.equal(await runner.get('unknown'), undefined)
  t.equal(await runner.cancel('unknown'), undefined)
})

t.test('a job runs to its summary with progress and results; queued before start, claimed at start', async (t) => {
  behaviour = async (ctx) => {
    const done = await ctx.doneSerials()
    const todo = ctx.input.serials.filter((s) => !done.has(s))
    await ctx.setTotal(ctx.input.serials.length)
    await ctx.recordResults(todo.map((serial) => ({ serial, status: 'SUCCESS' })))
    await ctx.progress(ctx.input.serials.length)
    return { SUCCESS: todo.length, skipped: done.size }
  }
  const job = await runner.enqueue({ kind: 'test', server: 'a', input: { serials: ['A', 'B', 'C'] } })
  t.match(job, { state: 'queued', server: 'a', progress: { done: 0, total: null } })
  runner.start()
  const finished = await state(job.id, 'succeeded')
  t.match(finished, { progress: { done: 3, total: 3 }, summary: { SUCCESS: 3, skipped: 0 }, error: null })
  t.ok(finished.started_at !== null && finished.finished_at !== null)
  t.same([...await store.jobs.doneSerials(job.id)].sort(), ['A', 'B', 'C'])
})

t.test('a dead replica\'s job resumes here after its claim expires, skipping the serials it did', async (t) => {
  // The dead replica: claimed, recorded two results, then nothing (no heartbeat).
  const job = await other.jobs.insert({ id: 'dead-one', kind: 'test', server: 'a', org: null, input: { serials: ['A', 'B', 'C', 'D'] }, total: 4 })
  await other.jobs.claim('dead-replica', ['test'], 30_000)
  await other.jobs.recordResults(job.id, [{ serial: 'A', status: 'SUCCESS' }, { serial: 'B', status: 'SUCCESS' }])
  await scheduler.advance(25_000)
  t.match(await runner.get(job.id), { state: 'running' }, 'not before the claim expired')
  await scheduler.advance(10_000)
  await runner.idle()
  t.match(await state(job.id, 'succeeded'), { summary: { SUCCESS: 2, skipped: 2 }, progress: { done: 4, total: 4 } })
})

t.test('cancel: a queued job at once, a running one here through its signal, one running elsewhere at the heartbeat', async (t) => {
  let started = 0
  behaviour = async (ctx) => { started++; return await stopped(ctx) }
  // Cancelled while the runner is busy with two others (concurrency 2): never started.
  const a = await runner.enqueue({ kind: 'test', input: { serials: [] } })
  const b = await runner.enqueue({ kind: 'test', input: { serials: [] } })
  await until('both running', async () => runner.running === 2)
  const queued = await runner.enqueue({ kind: 'test', input: { serials: [] } })
  t.match(await runner.cancel(queued.id), { finished: false, job: { state: 'cancelled' } })
  t.match(await runner.cancel(a.id), { finished: false, job: { state: 'running', cancel_requested: true } })
  await state(a.id, 'cancelled')
  // Another replica's API asks: this runner hears it at its next heartbeat.
  await other.jobs.requestCancel(b.id)
  await scheduler.advance(10_000)
  await state(b.id, 'cancelled')
  t.equal(started, 2)
  t.match(await runner.cancel(a.id), { finished: true, job: { state: 'cancelled' } })
  await runner.idle()
})

t.test('failures: a JobFailure keeps its code, anything else is JOB_FAILED with the error only in the log', async (t) => {
  behaviour = async () => { throw new JobFailure('PROFILE_NOT_FOUND', 'The profile does not exist at Apple.') }
  const one = await runner.enqueue({ kind: 'test', input: { serials: [] } })
  t.match(await state(one.id, 'failed'), { error: { code: 'PROFILE_NOT_FOUND', message: 'The profile does not exist at Apple.' }, summary: null })
  behaviour = async () => { throw new Error('secret internals') }
  const two = await runner.enqueue({ kind: 'test', input: { serials: [] } })
  const failed = await state(two.id, 'failed')
  t.equal(failed.error?.code, 'JOB_FAILED')
  t.notMatch(failed.error?.message, /secret internals/)
  t.ok(errors.includes('jobs: a job failed'))
})

t.test('a handler that lost its claim is stopped at its next write; the new holder finishes the job', async (t) => {
  let entered!: () => void
  const inside = new Promise<void>((resolve) => { entered = resolve })
  let release!: () => void
  const gate = new Promise<void>((resolve) => { release = resolve })
  behaviour = async (ctx) => {
    entered()
    await gate
    await ctx.progress(1)
    return { never: true }
  }
  const job = await runner.enqueue({ kind: 'test', input: { serials: [] } })
  await inside
  // Another replica takes the job (as if this one had stalled past its lease).
  await store.jobs.release(job.id, runner.owner)
  await scheduler.advance(1)
  await other.jobs.claim('thief', ['test'], 30_000)
  release()
  await runner.idle()
  t.ok(warnings.includes('jobs: another replica took this job over; it resumes there'))
  t.match(await runner.get(job.id), { state: 'running', progress: { done: 0 } }, 'nothing written by the replica that lost it')
  await other.jobs.finish(job.id, 'thief', { state: 'succeeded', summary: {} })
})

t.test('a heartbeat that finds the claim gone aborts the handler', async (t) => {
  behaviour = async (ctx) => await stopped(ctx)
  const job = await runner.enqueue({ kind: 'test', input: { serials: [] } })
  await until('running', async () => runner.running === 1)
  await store.jobs.release(job.id, runner.owner)
  await scheduler.advance(1)
  await other.jobs.claim('thief', ['test'], 30_000)
  await scheduler.advance(10_000)
  await runner.idle()
  t.match(await runner.get(job.id), { state: 'running' })
  await other.jobs.finish(job.id, 'thief', { state: 'succeeded', summary: {} })
})

t.test('database failures: claim, heartbeat and outcome writes are retried by the next poll or replica', async (t) => {
  failing.add('claim')
  const job = await runner.enqueue({ kind: 'test', input: { serials: [] } })
  await until('the claim failure logged', async () => warnings.includes('jobs: could not claim jobs; the next poll tries again'))
  failing.delete('claim')
  let entered!: () => void
  const inside = new Promise<void>((resolve) => { entered = resolve })
  let release!: () => void
  const gate = new Promise<void>((resolve) => { release = resolve })
  behaviour = async () => { entered(); await gate; return { ok: true } }
  await scheduler.advance(5_000)
  await inside
  failing.add('heartbeat')
  await scheduler.advance(10_000)
  t.ok(warnings.includes('jobs: heartbeat failed'))
  failing.delete('heartbeat')
  failing.add('finish')
  release()
  await runner.idle()
  t.ok(warnings.includes('jobs: could not write a job\'s outcome; it will be resumed'))
  failing.delete('finish')
  t.match(await runner.get(job.id), { state: 'running' })
  // Its claim runs out; the next poll here claims it again and the handler runs again to the end.
  await scheduler.advance(35_000)
  await runner.idle()
  t.match(await state(job.id, 'succeeded'), { summary: { ok: true } })
  // The hourly purge runs on its timer (nothing is old enough yet).
  await scheduler.advance(3_600_000)
  t.match(await runner.get(job.id), { state: 'succeeded' })
})

t.test('a dead replica\'s job cancelled meanwhile is cancelled when claimed, without running', async (t) => {
  let ran = false
  behaviour = async () => { ran = true; return {} }
  const job = await other.jobs.insert({ id: 'dead-cancelled', kind: 'test', server: null, org: null, input: { serials: [] }, total: null })
  await other.jobs.claim('dead-replica', ['test'], 30_000)
  await other.jobs.requestCancel(job.id)
  await scheduler.advance(35_000)
  await state(job.id, 'cancelled')
  t.equal(ran, false)
})

t.test('stop: running jobs give their claims up at once and are claimable by another replica', async (t) => {
  behaviour = async (ctx) => await stopped(ctx)
  const job = await runner.enqueue({ kind: 'test', input: { serials: [] } })
  await until('running', async () => runner.running === 1)
  await runner.stop()
  t.equal(runner.running, 0)
  await scheduler.advance(1)
  t.match(await other.jobs.claim('next', ['test'], 30_000), { id: job.id, state: 'running' })
  // Stopped: enqueue stores but does not run.
  const later = await runner.enqueue({ kind: 'test', input: { serials: [] } })
  t.match(await runner.get(later.id), { state: 'queued' })
})

t.test('purge: finished jobs past the retention go, with their results; a failed purge is logged and left to the next', async (t) => {
  const before = (await store.jobs.list({ limit: 100 })).length
  t.ok(before > 0)
  failing.add('purge')
  t.equal(await runner.purge(), 0)
  t.ok(warnings.includes('jobs: could not purge old jobs; the next purge tries again'))
  failing.delete('purge')
  // The runner is stopped (no poll timers), so the clock jumps 31 days at once.
  await scheduler.advance(31 * DAY)
  t.ok(await runner.purge() > 0)
  const left = await store.jobs.list({ limit: 100 })
  t.same(left.map((j) => j.state).filter((s) => s !== 'running' && s !== 'queued'), [], 'only unfinished jobs stay')
})
