/**
 * The one simulated organisation behind the AxM API. The DEP server the simulator serves is one of
 * its MDM servers, and the DEP world stays the truth for which devices that server holds: a device
 * added to or removed from the DEP side (the control API, disown) moves in the organisation too, and
 * an activity that assigns a device to the DEP server adds it to the DEP world, which sync then
 * reports as `added` (docs/apple-axm.md §8).
 */
import { randomUUID } from 'node:crypto'
import { isoSeconds } from '../clock.js'
import { DeviceGenerator } from '../generator.js'
import type { SimDevice } from '../types.js'
import type { World } from '../world.js'
import { orgAttributes, type OrgAttributes } from './data.js'

export interface OrgRecord {
  serial: string
  /** The device it was made from; its AxM attributes are drawn on first use (see attributes()). */
  device: SimDevice
  attrs?: OrgAttributes
  server: string | null
  updatedMs: number
}

export interface SimServer {
  id: string
  serverName: string
  serverType: 'MDM' | 'APPLE_CONFIGURATOR' | 'APPLE_MDM'
  createdDateTime: string
}

export type ActivityType = 'ASSIGN_DEVICES' | 'UNASSIGN_DEVICES'

export interface Outcome {
  serial: string
  result: 'SUCCESS' | 'FAILED'
  reason?: string
}

export interface SimActivity {
  id: string
  type: ActivityType
  serverId: string
  createdMs: number
  outcomes: Outcome[]
  applied: boolean
}

export interface ActivityTiming {
  activityMs: number
  lagMs: number
}

const SUB_STATUSES = ['SUBMITTED', 'PRE_PROCESSING', 'PENDING', 'PROCESSING', 'POST_PROCESSING'] as const
const CREATED = '2021-03-01T09:00:00Z'

export class OrgWorld {
  readonly records = new Map<string, OrgRecord>()
  /** Serials in the order they joined the organisation: list and cursor order. */
  readonly order: string[] = []
  readonly servers = new Map<string, SimServer>()
  readonly activities = new Map<string, SimActivity>()
  readonly depServerId: string
  private pending: SimActivity[] = []
  private seen = ''
  private readonly generator: DeviceGenerator

  constructor (private readonly world: World, depServer: { id: string, name: string }, readonly seed: number, extra: number) {
    this.depServerId = depServer.id
    const others: SimServer[] = [
      { id: depServer.id, serverName: depServer.name, serverType: 'MDM', createdDateTime: CREATED },
      { id: '1F97349736CF4614A94F624E705841AD', serverName: 'Devices Added by Apple Configurator 2', serverType: 'APPLE_CONFIGURATOR', createdDateTime: CREATED },
      { id: '8B2C0D6E4A1F4E7C9D3B5A7F1E2C4D6A', serverName: 'Branch office MDM', serverType: 'MDM', createdDateTime: CREATED }
    ]
    for (const s of others) this.servers.set(s.id, s)
    this.generator = new DeviceGenerator(seed ^ 0xa8b, [], (serial) => this.records.has(serial) || world.devices.has(serial))
    this.reconcile(0)
    this.addDevices(extra, undefined)
  }

  /** `count` generated devices that are not on the DEP server: half unassigned, the rest on the other servers. */
  addDevices (count: number, nowMs: number | undefined): OrgRecord[] {
    const added: OrgRecord[] = []
    const homes = [null, null, '1F97349736CF4614A94F624E705841AD', '8B2C0D6E4A1F4E7C9D3B5A7F1E2C4D6A']
    for (let i = 0; i < count; i++) {
      const { device } = this.generator.next(nowMs)
      added.push(this.insert(device, homes[i % homes.length], nowMs ?? Date.parse(device.device_assigned_date as string)))
    }
    return added
  }

  /**
   * Follows the DEP world: a serial it holds is on the DEP server, a serial the DEP server held that
   * it no longer holds is unassigned. Runs only when the DEP world changed since the last look.
   */
  reconcile (nowMs: number): void {
    const mark = `${this.world.orderLength}:${this.world.logLength}`
    if (mark === this.seen) return
    this.seen = mark
    for (const device of this.world.devices.values()) {
      const record = this.records.get(device.serial_number)
      if (record === undefined) this.insert(device, this.depServerId, Date.parse(device.device_assigned_date as string))
      else if (record.server !== this.depServerId) this.move(record, this.depServerId, nowMs)
    }
    for (const record of this.records.values()) {
      if (record.server === this.depServerId && !this.world.devices.has(record.serial)) this.move(record, null, nowMs)
    }
  }

  createActivity (type: ActivityType, serverId: string, serials: string[], nowMs: number, failSerials: readonly string[]): SimActivity {
    const outcomes = serials.map((serial): Outcome => {
      if (failSerials.includes(serial)) return { serial, result: 'FAILED', reason: 'The device could not be processed, try again later' }
      if (type === 'UNASSIGN_DEVICES' && (this.records.get(serial) as OrgRecord).server !== serverId) {
        return { serial, result: 'FAILED', reason: 'Device is not assigned to this device management service, so it was not unassigned' }
      }
      return { serial, result: 'SUCCESS' }
    })
    const activity: SimActivity = { id: randomUUID(), type, serverId, createdMs: nowMs, outcomes, applied: false }
    this.activities.set(activity.id, activity)
    this.pending.push(activity)
    return activity
  }

  /** What an activity looks like at `nowMs` (docs/apple-axm.md §5.2). */
  activityState (a: SimActivity, nowMs: number, timing: ActivityTiming): { status: string, subStatus: string, completedMs?: number } {
    const elapsed = nowMs - a.createdMs
    if (elapsed < timing.activityMs) {
      return { status: 'IN_PROGRESS', subStatus: SUB_STATUSES[Math.floor(elapsed * SUB_STATUSES.length / timing.activityMs)] }
    }
    const completedMs = a.createdMs + timing.activityMs
    const failed = a.outcomes.filter((o) => o.result === 'FAILED').length
    if (failed === a.outcomes.length) return { status: 'FAILED', subStatus: 'COMPLETED_WITH_ERROR' }
    return { status: 'COMPLETED', subStatus: failed === 0 ? 'COMPLETED_WITH_SUCCESS' : 'COMPLETED_WITH_FAILURE', completedMs }
  }

  /** Applies the activities whose effects are due: done, and past the consistency lag (docs/apple-axm.md §5.3). */
  settle (nowMs: number, timing: ActivityTiming): void {
    this.reconcile(nowMs)
    if (this.pending.length === 0) return
    const due = this.pending.filter((a) => nowMs >= a.createdMs + timing.activityMs + timing.lagMs)
    if (due.length === 0) return
    this.pending = this.pending.filter((a) => !due.includes(a))
    for (const activity of due) {
      activity.applied = true
      for (const outcome of activity.outcomes) {
        const record = this.records.get(outcome.serial) as OrgRecord
        if (outcome.result === 'SUCCESS') this.move(record, activity.type === 'ASSIGN_DEVICES' ? activity.serverId : null, nowMs)
      }
    }
    // The DEP world changed through move(); nothing to reconcile from it.
    this.seen = `${this.world.orderLength}:${this.world.logLength}`
  }

  /**
   * A device's AxM attributes, drawn when first asked for: a simulator of 100,000 DEP devices
   * starts without drawing purchase data nobody reads. The serial seeds them, so they never differ.
   */
  attributes (record: OrgRecord): OrgAttributes {
    record.attrs ??= orgAttributes(record.device, this.seed)
    return record.attrs
  }

  /**
   * Releases a device from the organisation (Business Manager's "Release devices"): it leaves
   * every list, and the DEP server if it was there. False when the organisation has no such device.
   */
  release (serial: string, nowMs: number): boolean {
    const record = this.records.get(serial)
    if (record === undefined) return false
    this.move(record, null, nowMs)
    this.records.delete(serial)
    this.order.splice(this.order.indexOf(serial), 1)
    // The DEP world changed through move(); nothing to reconcile from it.
    this.seen = `${this.world.orderLength}:${this.world.logLength}`
    return true
  }

  /** Devices on a server now. */
  deviceCount (serverId: string): number {
    let n = 0
    for (const record of this.records.values()) if (record.server === serverId) n++
    return n
  }

  private insert (device: SimDevice, server: string | null, addedMs: number): OrgRecord {
    const record: OrgRecord = { serial: device.serial_number, device, server, updatedMs: addedMs }
    this.records.set(record.serial, record)
    this.order.push(record.serial)
    return record
  }

  /** Moves a device between servers; entering or leaving the DEP server adds it to or removes it from the DEP world. */
  private move (record: OrgRecord, server: string | null, nowMs: number): void {
    if (record.server === server) return
    if (record.server === this.depServerId) this.world.remove(record.serial, nowMs)
    if (server === this.depServerId && !this.world.devices.has(record.serial)) this.world.add(nowMs, depFields(record.serial, this.attributes(record), nowMs))
    record.server = server
    record.updatedMs = nowMs
  }
}

const OS_OF: Record<string, string> = { Mac: 'OSX', iPhone: 'iOS', iPad: 'iOS', iPod: 'iOS', AppleTV: 'tvOS', Vision: 'visionOS', Watch: 'watchOS' }

/** The DEP view of an organisation device arriving on the DEP server: no profile yet. */
function depFields (serial: string, a: OrgAttributes, nowMs: number): Partial<SimDevice> {
  const family = a.productFamily as string
  return {
    serial_number: serial,
    model: a.deviceModel as string,
    description: a.deviceModel as string,
    color: a.color as string,
    device_family: family,
    // A family DEP has no OS name for (one the control API made up) reads as iOS, the most common.
    os: OS_OF[family] ?? 'iOS',
    profile_status: 'empty',
    profile_uuid: undefined,
    profile_assign_time: undefined,
    profile_push_time: undefined,
    device_assigned_date: isoSeconds(nowMs),
    device_assigned_by: 'Apple Business API'
  }
}
