/**
 * Apple's AxM wire format, read leniently (docs/apple-axm.md §2): attributes are added without a
 * version bump, any field may be absent, null or "", and some fields changed type between
 * versions, so unknown keys pass and the drifting ones are normalised into one TypeScript shape.
 */
import { z } from 'zod'

const text = z.string().nullish()

const resource = z.looseObject({ id: z.string(), type: z.string() })
const pagingMeta = z.looseObject({ paging: z.looseObject({ nextCursor: z.string().nullish() }).nullish() }).nullish()
const links = z.looseObject({ next: z.string().nullish() }).nullish()

export const orgDeviceSchema = resource.extend({ attributes: z.record(z.string(), z.unknown()).nullish() })
export const listSchema = <T extends z.ZodType>(item: T): z.ZodType<{ data: Array<z.infer<T>>, links?: { next?: string | null } | null, meta?: { paging?: { nextCursor?: string | null } | null } | null }> =>
  z.looseObject({ data: z.array(item), links, meta: pagingMeta }) as never
export const oneSchema = <T extends z.ZodType>(item: T): z.ZodType<{ data: z.infer<T> }> => z.looseObject({ data: item }) as never

export const linkageSchema = z.looseObject({ data: resource.nullable() })
export const mdmServerSchema = resource.extend({
  attributes: z.looseObject({
    serverName: text,
    serverType: text,
    createdDateTime: text,
    updatedDateTime: text,
    status: text,
    deviceCount: z.number().nullish()
  }).nullish()
})
export const appleCareSchema = resource.extend({ attributes: z.record(z.string(), z.unknown()).nullish() })
export const activitySchema = resource.extend({
  attributes: z.looseObject({
    status: z.string(),
    subStatus: text,
    createdDateTime: text,
    completedDateTime: text,
    downloadUrl: text
  })
})
export const tokenSchema = z.looseObject({ access_token: z.string().min(1), expires_in: z.number().positive(), token_type: text, scope: text })

/** A device of the organisation, one shape whatever Apple's version sent (docs/apple-axm.md §2.3). */
export interface OrgDevice {
  /** Apple's opaque id; equal to the serial in every example. */
  id: string
  serialNumber: string
  deviceModel?: string
  productFamily?: string
  productType?: string
  deviceCapacity?: string
  color?: string
  partNumber?: string
  orderNumber?: string
  orderDateTime?: string
  purchaseSourceType?: string
  /** Apple's examples spell it `purchaseSourceUid`; both are read. */
  purchaseSourceId?: string
  status?: string
  addedToOrgDateTime?: string
  updatedDateTime?: string
  releasedFromOrgDateTime?: string
  imei: string[]
  meid: string[]
  eid?: string
  wifiMacAddress: string[]
  bluetoothMacAddress: string[]
  /** asbmutil reads `builtInEthernetMacAddress`; both are read. */
  ethernetMacAddress: string[]
  /** Every attribute as Apple sent it, for fields this shape does not name yet. */
  attributes: Record<string, unknown>
}

export interface MdmServer {
  id: string
  serverName?: string
  serverType?: string
  createdDateTime?: string
  updatedDateTime?: string
  status?: string
  deviceCount?: number
}

export interface AppleCareCoverage {
  id: string
  status?: string
  paymentType?: string
  description?: string
  agreementNumber?: string
  startDateTime?: string
  endDateTime?: string
  isRenewable?: boolean
  isCanceled?: boolean
  contractCancelDateTime?: string
}

export type ActivityStatus = 'IN_PROGRESS' | 'COMPLETED' | 'STOPPED' | 'FAILED' | (string & {})

export interface DeviceActivity {
  id: string
  status: ActivityStatus
  subStatus?: string
  createdDateTime?: string
  completedDateTime?: string
  /** A short-lived link to the per-serial CSV log (docs/apple-axm.md §5.3); only when COMPLETED. */
  downloadUrl?: string
}

const str = (v: unknown): string | undefined => typeof v === 'string' ? v : undefined
const bool = (v: unknown): boolean | undefined => typeof v === 'boolean' ? v : undefined
const list = (v: unknown): string[] => {
  const items = Array.isArray(v) ? v : [v]
  return items.filter((s): s is string => typeof s === 'string' && s !== '')
}

/** Copies the string-valued keys of `attrs` named in `keys`; null, absent or non-strings are left out. */
function strings<K extends string> (attrs: Record<string, unknown>, keys: readonly K[]): Partial<Record<K, string>> {
  const out: Partial<Record<K, string>> = {}
  for (const key of keys) {
    const value = str(attrs[key])
    if (value !== undefined) out[key] = value
  }
  return out
}

const DEVICE_STRINGS = [
  'deviceModel', 'productFamily', 'productType', 'deviceCapacity', 'color', 'partNumber', 'orderNumber', 'orderDateTime',
  'purchaseSourceType', 'status', 'addedToOrgDateTime', 'updatedDateTime', 'releasedFromOrgDateTime', 'eid'
] as const

export function toOrgDevice (raw: z.infer<typeof orgDeviceSchema>): OrgDevice {
  const attrs = raw.attributes ?? {}
  const device: OrgDevice = {
    id: raw.id,
    serialNumber: str(attrs.serialNumber) ?? raw.id,
    ...strings(attrs, DEVICE_STRINGS),
    imei: list(attrs.imei),
    meid: list(attrs.meid),
    wifiMacAddress: list(attrs.wifiMacAddress),
    bluetoothMacAddress: list(attrs.bluetoothMacAddress),
    ethernetMacAddress: list(attrs.ethernetMacAddress ?? attrs.builtInEthernetMacAddress),
    attributes: attrs
  }
  const source = str(attrs.purchaseSourceId) ?? str(attrs.purchaseSourceUid)
  if (source !== undefined) device.purchaseSourceId = source
  return device
}

export function toMdmServer (raw: z.infer<typeof mdmServerSchema>): MdmServer {
  const attrs = raw.attributes ?? {}
  const server: MdmServer = { id: raw.id, ...strings(attrs as Record<string, unknown>, ['serverName', 'serverType', 'createdDateTime', 'updatedDateTime', 'status'] as const) }
  if (typeof attrs.deviceCount === 'number') server.deviceCount = attrs.deviceCount
  return server
}

export function toAppleCare (raw: z.infer<typeof appleCareSchema>): AppleCareCoverage {
  const attrs = raw.attributes ?? {}
  const coverage: AppleCareCoverage = {
    id: raw.id,
    ...strings(attrs, ['status', 'paymentType', 'description', 'agreementNumber', 'startDateTime', 'endDateTime', 'contractCancelDateTime'] as const)
  }
  const renewable = bool(attrs.isRenewable)
  const canceled = bool(attrs.isCanceled)
  if (renewable !== undefined) coverage.isRenewable = renewable
  if (canceled !== undefined) coverage.isCanceled = canceled
  return coverage
}

export function toActivity (raw: z.infer<typeof activitySchema>): DeviceActivity {
  return { id: raw.id, status: raw.attributes.status, ...strings(raw.attributes as Record<string, unknown>, ['subStatus', 'createdDateTime', 'completedDateTime', 'downloadUrl'] as const) }
}
