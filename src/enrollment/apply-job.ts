/**
 * The rule backfill as a job (`apply_rules`): every device of the mirror the rules say should
 * change (the preview's decision) is queued in the engine's outbox, and the job follows those
 * devices until each has an outcome (succeeded, not_accessible, gave_up, or no longer needed),
 * recording it per serial. A named profile whose content changed (a new UUID: Apple's profiles
 * cannot be edited, docs/apple-dep.md §2.6) does the same for the devices on its older UUIDs
 * (`reassign_profile`), whatever rule brought them there. The engine of the replica that syncs the server does the sending, with
 * its batching and retry schedule, so a backfill and a new device never race for one serial.
 * Cancelling the job stops the following only: what is queued stays queued.
 */
import type { JobContext, JobKindHandler, JobResultInput, JobSummary } from '../jobs/types.js'
import type { Scheduler } from '../scheduler.js'
import type { Store, Wanted } from '../store/index.js'
import type { AnswerCounter } from './answers.js'
import { rulePlanner } from './engine-plan.js'
import type { AssignmentRule, DeviceRecord } from './rules.js'

export const APPLY_RULES_KIND = 'apply_rules'
export const REASSIGN_PROFILE_KIND = 'reassign_profile'

export interface ApplyRulesInput { server: string }
export interface ReassignProfileInput { server: string, name: string }

export interface ApplyRulesDeps {
  store: Pick<Store, 'assignments' | 'enrollment' | 'mirror'>
  /** Wakes this replica's engine for the server (it sends when it leads). */
  kick: (server: string) => void
  scheduler: Scheduler
  /** The engine's answers on this replica: the outbox is read again after each. */
  answers: AnswerCounter
  /** How often the outbox is read for outcomes without an answer heard here (another replica's engine). */
  pollMs: number
}

type Want = (serial: string, device: DeviceRecord) => Wanted

/** A serial the job queued that has no outcome yet: its placeholder result. */
export const QUEUED = 'queued'

/** Each device of the mirror `want` gives a profile to, among `only` when given. */
async function wantedOf (d: ApplyRulesDeps, server: string, want: Want, only?: Set<string>): Promise<Wanted[]> {
  const wanted: Wanted[] = []
  for await (const batch of d.store.mirror.streamDevices(server)) {
    for (const row of batch) {
      if (only !== undefined && !only.has(row.serial_number)) continue
      const w = want(row.serial_number, JSON.parse(row.record) as DeviceRecord)
      if (w.want !== null) wanted.push(w)
    }
  }
  return wanted
}

/**
 * Queues what `want` says of every device of the mirror and follows those to their outcomes. The
 * list is fixed when first queued: each serial gets a `queued` result first, so a resumed job
 * follows the same serials with the same total (recomputing from the mirror would miss the ones the
 * engine assigned meanwhile) and queues again only those missing from the engine's outbox.
 */
async function queueAndFollow (d: ApplyRulesDeps, ctx: JobContext<{ server: string }>, want: Want): Promise<JobSummary> {
  const { server } = ctx.input
  const recorded = await ctx.serialStatuses()
  let left: Set<string>
  if (recorded.size === 0) {
    const wanted = await wantedOf(d, server, want)
    await ctx.recordResults(wanted.map((w) => ({ serial: w.serial, status: QUEUED })))
    await ctx.setTotal(wanted.length)
    await d.store.assignments.queueDevices(server, wanted)
    left = new Set(wanted.map((w) => w.serial))
  } else {
    left = new Set([...recorded].filter(([, status]) => status === QUEUED).map(([serial]) => serial))
    // The run before may have died between fixing its list and queueing it.
    const inOutbox = new Set((await d.store.assignments.rowsFor(server, [...left])).map((r) => r.serial_number))
    const missing = new Set([...left].filter((serial) => !inOutbox.has(serial)))
    if (missing.size > 0) await d.store.assignments.queueDevices(server, await wantedOf(d, server, want, missing))
  }
  d.kick(server)
  let finished = recorded.size === 0 ? 0 : recorded.size - left.size
  const queued = recorded.size === 0 ? left.size : recorded.size
  // This run's outcomes by status (a resumed job's earlier ones are in its results).
  const counts: Record<string, number> = {}
  let following = left.size
  while (following > 0) {
    const seen = d.answers.count(server)
    // The serials still `queued` in the results whose outbox row settled: one read, whatever the job's size.
    const ended: JobResultInput[] = (await d.store.assignments.settledFor(server, ctx.job.id, QUEUED)).map((s) => s.status === null
      // Gone from the queue: the device changed meanwhile and needs nothing any more.
      ? { serial: s.serial, status: 'not_needed', detail: 'The device changed meanwhile; the rules no longer assign it.' }
      : { serial: s.serial, status: s.status, detail: s.last_error })
    if (ended.length > 0) {
      await ctx.recordResults(ended)
      for (const r of ended) counts[r.status] = (counts[r.status] ?? 0) + 1
      finished += ended.length
      following -= ended.length
      await ctx.progress(finished)
    }
    if (following > 0) await d.answers.wait(d.scheduler, server, seen, d.pollMs, ctx.signal)
  }
  return { queued, by_status: counts }
}

export function applyRulesJob (d: ApplyRulesDeps): JobKindHandler<ApplyRulesInput> {
  return {
    kind: APPLY_RULES_KIND,
    async run (ctx) {
      const { server } = ctx.input
      const rules = (await d.store.enrollment.getRules(server)).rules as AssignmentRule[]
      const plan = rulePlanner(rules, await d.store.enrollment.listProfiles(server))
      return await queueAndFollow(d, ctx, plan)
    }
  }
}

export function reassignProfileJob (d: ApplyRulesDeps): JobKindHandler<ReassignProfileInput> {
  return {
    kind: REASSIGN_PROFILE_KIND,
    async run (ctx) {
      const { server, name } = ctx.input
      const profile = await d.store.enrollment.getProfile(server, name)
      // Deleted since (no rule names it any more): nothing to move its devices to.
      if (profile === undefined) return { queued: 0, by_status: {} }
      const older = new Set(profile.history.map((v) => v.profileUuid).filter((u) => u !== profile.profileUuid))
      const want = { rule: `${name} changed`, profile: name, profileUuid: profile.profileUuid }
      return await queueAndFollow(d, ctx, (serial, device) => ({ serial, want: older.has(String(device.profile_uuid).toUpperCase()) ? want : null }))
    }
  }
}
