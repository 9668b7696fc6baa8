/**
 * What the simulated organisation knows about a device beyond DEP's fields (docs/apple-axm.md §2.3,
 * §2.9): purchase data, identifiers and AppleCare, drawn from a PRNG seeded by the serial so a
 * device looks the same whichever way it entered the organisation and however often it is asked.
 */
import { isoSeconds } from '../clock.js'
import { Prng } from '../prng.js'
import type { SimDevice } from '../types.js'

const DAY = 86_400_000
const CAPACITIES = ['64GB', '128GB', '256GB', '512GB', '1TB']
const SOURCES = ['APPLE', 'RESELLER', 'MANUALLY_ADDED'] as const

function serialSeed (serial: string, seed: number): number {
  // FNV-1a: a stable 32-bit number per serial.
  let h = 0x811c9dc5 ^ seed
  for (let i = 0; i < serial.length; i++) h = Math.imul(h ^ serial.charCodeAt(i), 0x01000193)
  return h >>> 0
}

/** Apple's attribute names (docs/apple-axm.md §2.3), without the lifecycle ones the world keeps. */
export type OrgAttributes = Record<string, string | string[]>

/** A DEP field as AxM text: absent is "" (AxM sends empty strings, docs/apple-axm.md §2.3). */
const text = (value: string | undefined): string => value ?? ''
const many = (value: string[] | undefined): string[] => value ?? []

export function orgAttributes (device: SimDevice, seed: number): OrgAttributes {
  const p = new Prng(serialSeed(device.serial_number, seed))
  // The generator and the control API always date a device's assignment.
  const added = Date.parse(device.device_assigned_date as string)
  const family = text(device.device_family)
  const source = p.pick(SOURCES)
  return {
    serialNumber: device.serial_number,
    deviceModel: text(device.model),
    productFamily: family,
    productType: `${family}${10 + p.int(6)},${1 + p.int(4)}`,
    deviceCapacity: p.pick(CAPACITIES),
    // Apple sends "" for some colours (docs/apple-axm.md §2.3).
    color: p.chance(0.1) ? '' : text(device.color),
    partNumber: `M${p.hex(4)}LL/A`,
    orderNumber: `ORD${p.chars('0123456789', 10)}`,
    orderDateTime: isoSeconds(added - (1 + p.int(60)) * DAY),
    purchaseSourceType: source,
    purchaseSourceId: source === 'MANUALLY_ADDED' ? '' : p.chars('0123456789', 7),
    addedToOrgDateTime: isoSeconds(added),
    imei: many(device.imei),
    meid: many(device.meid),
    eid: text(device.eid),
    wifiMacAddress: text(device.wifi_mac_address),
    bluetoothMacAddress: text(device.bluetooth_mac_address),
    ethernetMacAddress: device.ethernet_mac_address === undefined ? [] : [device.ethernet_mac_address]
  }
}

export interface CoverageRecord {
  id: string
  attributes: Record<string, string | boolean | null>
}

/**
 * A device's AppleCare records (docs/apple-axm.md §2.9): the Limited Warranty for most, AppleCare+
 * or AppleCare+ for Business for some, nothing at all for a few.
 */
export function appleCare (serial: string, orderDateTime: string, seed: number, now: number): CoverageRecord[] {
  const p = new Prng(serialSeed(serial, seed ^ 0xac))
  const start = Date.parse(orderDateTime)
  const roll = p.next()
  if (roll < 0.1) return []
  const status = (end: number): string => end > now ? 'ACTIVE' : 'INACTIVE'
  const warrantyEnd = start + 365 * DAY
  const records: CoverageRecord[] = [{
    id: serial,
    attributes: { status: status(warrantyEnd), paymentType: 'NONE', description: 'Limited Warranty', startDateTime: isoSeconds(start), endDateTime: isoSeconds(warrantyEnd), isRenewable: false, isCanceled: null, contractCancelDateTime: null, agreementNumber: null }
  }]
  if (roll < 0.5) {
    const end = start + 3 * 365 * DAY
    const agreement = p.chars('0123456789', 10)
    records.push({ id: agreement, attributes: { status: status(end), paymentType: 'PAID_UP_FRONT', description: 'AppleCare+', startDateTime: isoSeconds(start), endDateTime: isoSeconds(end), isRenewable: false, isCanceled: false, contractCancelDateTime: null, agreementNumber: agreement } })
  } else if (roll < 0.6) {
    records.push({ id: `abe-${serial}`, attributes: { status: 'ACTIVE', paymentType: 'ABE_SUBSCRIPTION', description: 'AppleCare+ for Business Essentials', startDateTime: isoSeconds(start + 7 * DAY), endDateTime: null, isRenewable: true, isCanceled: null, contractCancelDateTime: null, agreementNumber: null } })
  }
  return records
}
