import { ASSIGNERS, MODELS, REGIONS, SERIAL_ALPHABET, type ModelSpec } from './catalogue.js'
import { isoSeconds } from './clock.js'
import { Prng } from './prng.js'
import type { ReplacementInfo, SimDevice } from './types.js'

export interface Generated {
  device: SimDevice
  assignedMs: number
  replacement?: ReplacementInfo
}

// Fixed bounds rather than the clock, so that a seed yields the same world whenever it runs.
const FIRST_ASSIGNED = Date.UTC(2020, 0, 1)
const LAST_ASSIGNED = Date.UTC(2026, 0, 1)

const TOTAL_WEIGHT = MODELS.reduce((sum, m) => sum + m.weight, 0)

/**
 * Deterministic device factory: the same seed and the same sequence of calls give the same
 * devices. The profile UUIDs it may assign are those the world pre-defines.
 */
export class DeviceGenerator {
  private readonly prng: Prng

  constructor (seed: number, private readonly profileUuids: readonly string[], private readonly taken: (serial: string) => boolean) {
    this.prng = new Prng(seed)
  }

  /** A UUID in Apple's profile shape: 32 upper-case hex characters (docs/apple-dep.md §2.6). */
  uuid (): string {
    return this.prng.hex(32)
  }

  /** One new device; `assignedMs` pins `device_assigned_date` (devices added while running). */
  next (assignedMs?: number): Generated {
    const p = this.prng
    const spec = this.pickModel()
    const serial = this.serial(spec)
    const assigned = assignedMs ?? FIRST_ASSIGNED + p.int(LAST_ASSIGNED - FIRST_ASSIGNED)
    const color = p.pick(spec.colors)
    const device: SimDevice = {
      serial_number: serial,
      model: spec.model,
      description: `${spec.abbr} ${color}/${p.pick(spec.configs)}-${p.pick(REGIONS)}`,
      color,
      profile_status: 'empty',
      device_assigned_date: isoSeconds(assigned),
      device_assigned_by: `${p.pick(ASSIGNERS)}@example.com`,
      os: spec.os,
      device_family: spec.family
    }
    if (p.chance(0.3)) device.asset_tag = `A${String(p.int(1_000_000)).padStart(6, '0')}`
    const roll = p.next()
    if (this.profileUuids.length > 0 && roll < 0.3) {
      device.profile_uuid = p.pick(this.profileUuids)
      device.profile_status = roll < 0.1 ? 'pushed' : 'assigned'
      device.profile_assign_time = isoSeconds(assigned + 3_600_000)
      if (device.profile_status === 'pushed') device.profile_push_time = isoSeconds(assigned + 86_400_000)
    }
    if (p.chance(0.02)) device.mdm_migration_deadline = isoSeconds(assigned + 90 * 86_400_000)
    this.addHardware(device, spec)
    return this.maybeReplacement(device, assigned)
  }

  private pickModel (): ModelSpec {
    let r = this.prng.int(TOTAL_WEIGHT)
    for (const m of MODELS) {
      if (r < m.weight) return m
      r -= m.weight
    }
    /* c8 ignore next 2 -- unreachable: r < TOTAL_WEIGHT always lands in a bucket; kept for the type checker */
    return MODELS[0]
  }

  private serial (spec: ModelSpec): string {
    for (;;) {
      const serial = this.prng.pick(spec.prefixes) + this.prng.chars(SERIAL_ALPHABET, 9)
      if (!this.taken(serial)) return serial
    }
  }

  private mac (): string {
    // Two 24-bit draws formatted at once: MACs are the generator's hottest path.
    const hex = (this.prng.int(0x1000000).toString(16).padStart(6, '0') + this.prng.int(0x1000000).toString(16).padStart(6, '0'))
    return `${hex.slice(0, 2)}:${hex.slice(2, 4)}:${hex.slice(4, 6)}:${hex.slice(6, 8)}:${hex.slice(8, 10)}:${hex.slice(10, 12)}`
  }

  private addHardware (device: SimDevice, spec: ModelSpec): void {
    const p = this.prng
    device.wifi_mac_address = this.mac()
    device.bluetooth_mac_address = this.mac()
    if (spec.family === 'Mac' || spec.family === 'AppleTV') device.ethernet_mac_address = this.mac()
    const cellular = spec.family === 'iPhone' || (spec.family === 'iPad' && p.chance(0.3))
    if (cellular) {
      device.imei = [`35${p.chars('0123456789', 13)}`]
      if (p.chance(0.5)) device.eid = `8904${p.chars('0123456789', 28)}`
      if (p.chance(0.1)) device.meid = [p.hex(14)]
    }
  }

  private maybeReplacement (device: SimDevice, assigned: number): Generated {
    if (!this.prng.chance(0.01)) return { device, assignedMs: assigned }
    device.is_replacement_device = true
    const original = this.prng.pick(MODELS).prefixes[0] + this.prng.chars(SERIAL_ALPHABET, 9)
    return {
      device,
      assignedMs: assigned,
      replacement: { original_device_serial_number: original, replacement_date: isoSeconds(assigned).slice(0, 10) }
    }
  }
}
