/**
 * The org mirror's events. `org_device.added`, `org_device.modified`, `org_device.removed`: one
 * event per change a refresh commits, carrying the org change feed's `seq` and the device as
 * GET /v1/orgs/{org}/devices/{serial} shows it from the mirror (Apple's attributes, the MDM
 * server, no secret). One device per event, as device.* events: each payload stays small (a few
 * KiB) however many devices a refresh page changed. `org.refresh_failed` / `org.refresh_recovered`
 * mirror sync.failed / sync.recovered: the first failure of a run of them, the first completed
 * refresh after. Each names its org, which subscriptions filter with `orgs`.
 */
import type { OrgDevice } from '../store/org-reads.js'
import type { EventInput } from './types.js'

export type OrgDeviceOp = 'added' | 'modified' | 'removed'

export function orgDeviceEvent (org: string, op: OrgDeviceOp, device: OrgDevice, seq: number): EventInput {
  return { type: `org_device.${op}`, server: null, org, data: { org, seq, serial_number: device.serial_number, device } }
}

export function orgRefreshFailedEvent (org: string, error: { code: string, message: string }): EventInput {
  return { type: 'org.refresh_failed', server: null, org, data: { org, code: error.code, message: error.message } }
}

export function orgRefreshRecoveredEvent (org: string, failedWith: string): EventInput {
  return { type: 'org.refresh_recovered', server: null, org, data: { org, failed_with: failedWith } }
}
