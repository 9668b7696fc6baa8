/**
 * Webhooks from the org mirror's writes (src/events/org-events.ts), recorded in the transaction
 * that writes the org_changes rows and the org state, so an event exists if and only if its change
 * was committed.
 */
import type { Transaction } from 'kysely'
import { FILTER_COLUMNS, matches, recordEvent, recordEvents } from '../events/outbox.js'
import { type OrgDeviceOp, orgDeviceEvent, orgRefreshFailedEvent, orgRefreshRecoveredEvent } from '../events/org-events.js'
import { readOrgDevices } from './org-reads.js'
import type { Database } from './schema.js'

/**
 * One org_device.* event per change, numbered from `firstSeq` as the org change feed numbers them.
 * The devices are read back after the page's writes (the route's view of them); when no enabled
 * subscription takes org device events of this org, nothing is read.
 */
export async function recordOrgDeviceEvents (trx: Transaction<Database>, org: string, changes: ReadonlyArray<{ serial: string, op: OrgDeviceOp }>, firstSeq: number, at: Date): Promise<void> {
  const ops = [...new Set(changes.map((c) => c.op))]
  const subs = await trx.selectFrom('webhook_subscriptions').select(FILTER_COLUMNS).where('enabled', '=', 1).execute()
  if (!subs.some((s) => ops.some((op) => matches(s, `org_device.${op}`, null, org)))) return
  const devices = await readOrgDevices(trx, org, changes.map((c) => c.serial))
  await recordEvents(trx, changes.map((c, i) => orgDeviceEvent(org, c.op, devices.get(c.serial)!, firstSeq + i)), { at })
}

/** org.refresh_failed for the first failure after a success (or none yet), not for each retry. */
export async function recordOrgRefreshFailed (trx: Transaction<Database>, org: string, previousCode: string | null, error: { code: string, message: string }, at: Date): Promise<void> {
  if (previousCode === null) await recordEvent(trx, orgRefreshFailedEvent(org, error), { at })
}

/** org.refresh_recovered for a completed refresh after failures. */
export async function recordOrgRefreshRecovered (trx: Transaction<Database>, org: string, previousCode: string | null, at: Date): Promise<void> {
  if (previousCode !== null) await recordEvent(trx, orgRefreshRecoveredEvent(org, previousCode), { at })
}
