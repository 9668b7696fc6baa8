/**
 * The `org_device_assignment` job: POST /v1/orgs/{org}/device-assignments assigns or unassigns any
 * number of serials to one MDM server through Apple's device activities (docs/apple-axm.md §5). An
 * activity carries at most 1000 serials, so the job starts one per batch, follows it on the
 * scheduler's clock until it is COMPLETED or FAILED, then records each serial's outcome from the
 * activity's log as the job's results.
 *
 * An activity Apple leaves IN_PROGRESS past the deadline (DEPGATE_ORG_ACTIVITY_TIMEOUT) is given up
 * on: its serials are recorded TIMED_OUT, the other batches go on, and the job then fails with
 * ORG_ACTIVITY_TIMED_OUT (its results say which serials are unsettled). Each look at an activity is
 * a GET within the org's request budget (src/orgs/budget.ts).
 *
 * Resumable: a job taken over from a replica that died sends only the serials without a result. A
 * batch in flight when the replica died is sent again; assigning a device to the server it is
 * already on (or unassigning one that is not) is harmless at Apple.
 */
import type { AxmClient } from '../axm/index.js'
import { JobFailure, type JobKindHandler } from '../jobs/types.js'
import { delay, type Scheduler } from '../scheduler.js'
import type { RequestBudget } from './budget.js'

export const ORG_ASSIGN_KIND = 'org_device_assignment'
/** Apple's limit of serials per activity (docs/apple-axm.md §5). */
export const MAX_ACTIVITY_SERIALS = 1000
/** How often an activity in progress is asked about again. */
export const ACTIVITY_POLL_MS = 5000

export interface OrgAssignJobInput {
  action: 'assign' | 'unassign'
  mdmServer: string
  serials: string[]
}

/** The part of the AxM client the job calls. */
export type ActivityClient = Pick<AxmClient, 'createDeviceActivity' | 'getDeviceActivity' | 'getActivityLog'>

export interface OrgAssignJobOptions {
  client: (org: string) => Promise<ActivityClient>
  scheduler: Scheduler
  /** The count per status of a job's results (the store's). */
  statusCounts: (jobId: string) => Promise<Record<string, number>>
  pollMs?: number
  /** The org's request budget (each look at an activity is a GET). */
  budget: (org: string) => RequestBudget
  /** How long an activity may stay IN_PROGRESS before its serials are recorded TIMED_OUT. */
  activityTimeoutMs: number
}

/** The deadline as a Mac admin reads it ("240 minutes"). */
const duration = (ms: number): string => `${Math.ceil(ms / 60_000)} minutes`

export function orgAssignJob (opts: OrgAssignJobOptions): JobKindHandler<OrgAssignJobInput> {
  const pollMs = opts.pollMs ?? ACTIVITY_POLL_MS
  return {
    kind: ORG_ASSIGN_KIND,
    async run (ctx) {
      const { action, mdmServer, serials } = ctx.input
      // Enqueued by the route with an org, always.
      const org = ctx.job.org as string
      const client = await opts.client(org)
      const budget = opts.budget(org)
      const unique = [...new Set(serials)]
      const done = await ctx.doneSerials()
      const todo = unique.filter((s) => !done.has(s))
      await ctx.setTotal(unique.length)
      let count = unique.length - todo.length
      await ctx.progress(count)
      const failed: string[] = []
      const timedOut: string[] = []
      for (let i = 0; i < todo.length; i += MAX_ACTIVITY_SERIALS) {
        ctx.signal.throwIfAborted()
        const batch = todo.slice(i, i + MAX_ACTIVITY_SERIALS)
        const started = opts.scheduler.now()
        let activity = await client.createDeviceActivity({ action, mdmServerId: mdmServer, serials: batch, signal: ctx.signal })
        while (activity.status === 'IN_PROGRESS' && opts.scheduler.now() - started < opts.activityTimeoutMs) {
          await delay(opts.scheduler, pollMs, ctx.signal)
          await budget.take(ctx.signal)
          activity = await client.getDeviceActivity(activity.id, ctx.signal)
        }
        if (activity.status === 'IN_PROGRESS') {
          const detail = `Apple's activity ${activity.id} was still in progress after ${duration(opts.activityTimeoutMs)}; Apple may yet complete it: check the device in Apple Business Manager before sending it again`
          await ctx.recordResults(batch.map((serial) => ({ serial, status: 'TIMED_OUT', detail })))
          timedOut.push(activity.id)
          count += batch.length
          await ctx.progress(count)
          continue
        }
        const outcome = new Map<string, { status: string, detail: string | null }>()
        if (activity.downloadUrl !== undefined) {
          for (const row of await client.getActivityLog(activity.downloadUrl, ctx.signal)) outcome.set(row.serial.toUpperCase(), { status: row.result, detail: row.reason ?? null })
        }
        // A serial the log does not name (a FAILED or STOPPED activity has no log) takes the activity's status.
        const fallback = { status: activity.status, detail: activity.subStatus }
        await ctx.recordResults(batch.map((serial) => ({ serial, ...(outcome.get(serial) ?? fallback) })))
        if (activity.status !== 'COMPLETED') failed.push(activity.id)
        count += batch.length
        await ctx.progress(count)
      }
      if (timedOut.length > 0) {
        throw new JobFailure('ORG_ACTIVITY_TIMED_OUT', `Apple left device activities ${timedOut.join(', ')} in progress for more than ${duration(opts.activityTimeoutMs)} (DEPGATE_ORG_ACTIVITY_TIMEOUT): their serials are recorded TIMED_OUT in the job's results, the others with Apple's outcome. Check the TIMED_OUT devices in Apple Business Manager before sending them again.`)
      }
      // Apple's refusal of a batch is each serial's outcome, not the job's: the others may have succeeded.
      return { action, mdm_server: mdmServer, devices: await opts.statusCounts(ctx.job.id), failed_activities: failed }
    }
  }
}
