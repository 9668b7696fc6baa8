/**
 * The rule backfill as a job (`apply_rules`): every device of the mirror the rules say should
 * change (the preview's decision) is queued in the engine's outbox, and the job follows those
 * devices until each has an outcome (succeeded, not_accessible, gave_up, or no longer needed),
 * recording it per serial. The engine of the replica that syncs the server does the sending, with
 * its batching and retry schedule, so a backfill and a new device never race for one serial.
 * Cancelling the job stops the following only: what is queued stays queued.
 */
import type { JobKindHandler, JobResultInput } from '../jobs/types.js'
import { delay, type Scheduler } from '../scheduler.js'
import { OUTSTANDING, type AssignmentStatus, type Store, type Wanted } from '../store/index.js'
import { rulePlanner } from './engine-plan.js'
import type { AssignmentRule, DeviceRecord } from './rules.js'

export const APPLY_RULES_KIND = 'apply_rules'

export interface ApplyRulesInput { server: string }

export interface ApplyRulesDeps {
  store: Pick<Store, 'assignments' | 'enrollment' | 'mirror'>
  /** Wakes this replica's engine for the server (it sends when it leads). */
  kick: (server: string) => void
  scheduler: Scheduler
  /** How often the outbox is read for outcomes. */
  pollMs: number
}

export function applyRulesJob (d: ApplyRulesDeps): JobKindHandler<ApplyRulesInput> {
  return {
    kind: APPLY_RULES_KIND,
    async run (ctx) {
      const { server } = ctx.input
      const rules = (await d.store.enrollment.getRules(server)).rules as AssignmentRule[]
      const plan = rulePlanner(rules, await d.store.enrollment.listProfiles(server))
      // A resumed job keeps the outcomes it recorded and follows the rest.
      const done = await ctx.doneSerials()
      const wanted: Wanted[] = []
      for await (const batch of d.store.mirror.streamDevices(server)) {
        for (const row of batch) {
          const w = plan(row.serial_number, JSON.parse(row.record) as DeviceRecord)
          if (w.want !== null && !done.has(w.serial)) wanted.push(w)
        }
      }
      await d.store.assignments.queueDevices(server, wanted)
      await ctx.setTotal(done.size + wanted.length)
      d.kick(server)
      const left = new Set(wanted.map((w) => w.serial))
      let finished = done.size
      // This run's outcomes by status (a resumed job's earlier ones are in its results).
      const counts: Record<string, number> = {}
      for (;;) {
        const rows = new Map((await d.store.assignments.rowsFor(server, [...left])).map((r) => [r.serial_number, r]))
        const ended: JobResultInput[] = []
        for (const serial of left) {
          const row = rows.get(serial)
          // Gone from the queue: the device changed meanwhile and needs nothing any more.
          if (row === undefined) ended.push({ serial, status: 'not_needed', detail: 'The device changed meanwhile; the rules no longer assign it.' })
          else if (!OUTSTANDING.includes(row.status as AssignmentStatus)) ended.push({ serial, status: row.status, detail: row.last_error })
        }
        if (ended.length > 0) {
          await ctx.recordResults(ended)
          for (const r of ended) {
            left.delete(r.serial)
            counts[r.status] = (counts[r.status] ?? 0) + 1
          }
          finished += ended.length
          await ctx.progress(finished)
        }
        if (left.size === 0) break
        await delay(d.scheduler, d.pollMs, ctx.signal)
      }
      return { queued: wanted.length, by_status: counts }
    }
  }
}
