import { isoSeconds } from './clock.js'
import { DeviceGenerator } from './generator.js'
import type { OpType, ReplacementInfo, SimDevice, SimEvent } from './types.js'

export interface StoredProfile extends Record<string, unknown> {
  profile_uuid: string
}

/**
 * The state behind the Apple endpoints: devices currently assigned to this MDM server, the
 * append-only change log sync reads from, and profiles.
 *
 * Paging is O(page): fetch walks `order` (serials in the order they were assigned, which is
 * chronological, as Apple sorts fetch results) from a position; deleting a device leaves a hole
 * (null) so positions held in cursors stay valid. Sync reads `log` by sequence number.
 */
export class World {
  readonly devices = new Map<string, SimDevice>()
  readonly profiles = new Map<string, StoredProfile>()
  readonly replacements = new Map<string, ReplacementInfo>()
  readonly locked = new Set<string>()
  adeProfile: { mdm_service_discovery_url: string, last_updated_timestamp: string } | undefined
  private readonly order: Array<string | null> = []
  private readonly position = new Map<string, number>()
  private readonly log: SimEvent[] = []
  private readonly generator: DeviceGenerator

  constructor (seed: number, count: number) {
    const profileSeeds: string[] = []
    this.generator = new DeviceGenerator(seed, profileSeeds, (serial) => this.devices.has(serial))
    for (const name of ['Staff Macs', 'Student iPads', 'Kiosk']) {
      const uuid = this.generator.uuid()
      profileSeeds.push(uuid)
      this.profiles.set(uuid, { profile_uuid: uuid, profile_name: name, url: 'https://mdm.example.com/mdm/enroll', is_supervised: true, is_mdm_removable: false, is_mandatory: true, await_device_configured: false, org_magic: uuid.slice(0, 8), department: 'IT' })
    }
    const initial: Array<{ ms: number, serial: string }> = []
    for (let i = 0; i < count; i++) {
      const { device, replacement, assignedMs } = this.generator.next()
      this.devices.set(device.serial_number, device)
      if (replacement !== undefined) this.replacements.set(device.serial_number, replacement)
      initial.push({ ms: assignedMs, serial: device.serial_number })
    }
    // Chronological, as Apple sorts fetch results. Initial devices predate every cursor, so they
    // are not in the change log.
    initial.sort((a, b) => a.ms - b.ms)
    for (const d of initial) this.append(d.serial)
  }

  get orderLength (): number {
    return this.order.length
  }

  get logLength (): number {
    return this.log.length
  }

  newProfileUuid (): string {
    return this.generator.uuid()
  }

  /** Live devices in fetch order. */
  list (): SimDevice[] {
    const out: SimDevice[] = []
    for (const serial of this.order) if (serial !== null) out.push(this.devices.get(serial) as SimDevice)
    return out
  }

  /** Up to `limit` live devices from `pos`, never past `end`; `more` tells whether live ones remain. */
  fetchSlice (pos: number, end: number, limit: number): { devices: SimDevice[], pos: number, more: boolean } {
    const devices: SimDevice[] = []
    let i = pos
    for (; i < end && devices.length < limit; i++) {
      const serial = this.order[i]
      if (serial !== null) devices.push(this.devices.get(serial) as SimDevice)
    }
    while (i < end && this.order[i] === null) i++
    return { devices, pos: i, more: i < end }
  }

  eventsFrom (seq: number, limit: number): { events: SimEvent[], seq: number, more: boolean } {
    const events = this.log.slice(seq, seq + limit)
    const next = seq + events.length
    return { events, seq: next, more: next < this.log.length }
  }

  /** Adds a generated device, overridden by `fields`; undefined when the serial is already assigned. */
  add (now: number, fields: Partial<SimDevice> = {}): SimDevice | undefined {
    if (fields.serial_number !== undefined && this.devices.has(fields.serial_number)) return undefined
    const { device: generated, replacement } = this.generator.next(now)
    const device = { ...generated, ...fields }
    this.devices.set(device.serial_number, device)
    if (replacement !== undefined) this.replacements.set(device.serial_number, replacement)
    this.append(device.serial_number)
    this.record('added', device, device.device_assigned_date as string)
    return device
  }

  /** Merges fields into a device (null removes a key) and logs `modified`. */
  modify (serial: string, now: number, fields: Record<string, unknown>): SimDevice | undefined {
    const device = this.devices.get(serial)
    if (device === undefined) return undefined
    const target = device as unknown as Record<string, unknown>
    for (const [key, value] of Object.entries(fields)) {
      if (key === 'serial_number') continue
      if (value === null) Reflect.deleteProperty(target, key)
      else target[key] = value
    }
    this.record('modified', device, isoSeconds(now))
    return device
  }

  /** Unassigns a device from this server (disown, or the portal) and logs `deleted`. */
  remove (serial: string, now: number, releasedByReplacement = false): boolean {
    const device = this.devices.get(serial)
    if (device === undefined) return false
    this.devices.delete(serial)
    this.order[this.position.get(serial) as number] = null
    this.position.delete(serial)
    this.locked.delete(serial)
    this.record('deleted', device, isoSeconds(now), releasedByReplacement)
    return true
  }

  private append (serial: string): void {
    this.position.set(serial, this.order.length)
    this.order.push(serial)
  }

  private record (op: OpType, device: SimDevice, date: string, releasedByReplacement = false): void {
    // A copy: the log must show the device as it was when the event happened.
    const event: SimEvent = { op_type: op, op_date: date, device: structuredClone(device) }
    if (releasedByReplacement) event.released_by_replacement = true
    this.log.push(event)
  }
}
