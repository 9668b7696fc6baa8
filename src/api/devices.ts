/**
 * API shapes of the device routes. Apple's field names are kept as they are (snake_case,
 * docs/apple-dep.md §2.15.1) so a script written against Apple's documentation reads our answers unchanged; fields
 * Apple adds later pass through (loose objects) instead of being silently dropped.
 */
import { z } from 'zod'
import { timestamp } from './timestamps.js'
import { queryChoice, queryList, queryText } from './query-values.js'
import { serialListSchema } from './serials.js'

const iso = (description: string) => timestamp().describe(`${description} (ISO-8601, UTC)`)

export const deviceSchema = z.looseObject({
  serial_number: z.string().describe('The serial number'),
  model: z.string().optional().describe('e.g. "MacBook Pro", "iPad mini 4"'),
  description: z.string().optional(),
  color: z.string().optional(),
  asset_tag: z.string().optional(),
  os: z.string().optional().describe('iOS, iPadOS, OSX, tvOS, visionOS'),
  device_family: z.string().optional().describe('iPad, iPhone, iPod, Mac, AppleTV, Vision'),
  profile_status: z.string().optional().describe('empty, assigned, pushed or removed'),
  profile_uuid: z.string().optional(),
  profile_assign_time: iso('When a profile was assigned').optional(),
  profile_push_time: iso('When the profile was pushed to the device').optional(),
  device_assigned_date: iso('When the device was assigned to this MDM server').optional(),
  device_assigned_by: z.string().optional().describe('Who assigned it (an Apple Account)'),
  op_type: z.string().optional().describe('Change records only: added, modified or deleted'),
  op_date: iso('Change records only: when the change happened').optional(),
  mdm_migration_deadline: iso('Migration deadline').optional(),
  eid: z.string().optional(),
  ethernet_mac_address: z.string().optional(),
  wifi_mac_address: z.string().optional(),
  bluetooth_mac_address: z.string().optional(),
  imei: z.array(z.string()).optional(),
  meid: z.array(z.string()).optional(),
  is_replacement_device: z.boolean().optional(),
  released_by_replacement: z.boolean().optional(),
  response_status: z.string().optional().describe('Device details only: SUCCESS, NOT_ACCESSIBLE or FAILED')
}).meta({
  id: 'Device',
  description: 'A device as Apple describes it (Apple\'s field names). Absent fields are omitted, never null.',
  examples: [{
    serial_number: 'C02XK1ABCDEF',
    model: 'MacBook Pro',
    description: 'MBP 14.2 SPACE GRAY/M3/16GB/512GB',
    color: 'SPACE GRAY',
    os: 'OSX',
    device_family: 'Mac',
    profile_status: 'assigned',
    profile_uuid: '0123456789ABCDEF0123456789ABCDEF',
    device_assigned_by: 'admin@example.com',
    device_assigned_date: '2026-01-15T09:30:00Z'
  }]
})

/** Apple's values of the device fields the list filters by (docs/apple-dep.md §2.15.1). */
export const OS_VALUES = ['iOS', 'iPadOS', 'OSX', 'tvOS', 'visionOS'] as const
export const DEVICE_FAMILIES = ['iPad', 'iPhone', 'iPod', 'Mac', 'AppleTV', 'Vision'] as const
export const PROFILE_STATUSES = ['empty', 'assigned', 'pushed', 'removed'] as const

/** A filter whose values may also be comma-separated: the trimmed, non-empty values. */
const list = (description: string, item: z.ZodType<string> = queryText) => queryList(item, { commas: true })
  .optional()
  .describe(`${description}; repeat the parameter or separate values with commas to match any of them (case-insensitive; a value repeated is harmless)`)

/** Date, or date and time with its zone: text Apple's dates can be compared with once normalised. */
const ISO_8601 = /^(\d{4})-(\d{2})-(\d{2})(T\d{2}:\d{2}(:\d{2}(\.\d{1,9})?)?(Z|[+-]\d{2}:\d{2}))?$/

/** Apple's form of an instant (seconds, UTC), rounded up to the second so "on or after" / "before" compare exactly with Apple's whole seconds. */
export function appleInstant (ms: number): string {
  return new Date(Math.ceil(ms / 1000) * 1000).toISOString().replace('.000Z', 'Z')
}

function realDate (v: string): boolean {
  const m = ISO_8601.exec(v)
  if (m === null) return false
  // Date.parse takes 2026-02-30 for March 2: the day must exist.
  const day = new Date(Date.UTC(Number(m[1]), Number(m[2]) - 1, Number(m[3])))
  return day.getUTCMonth() === Number(m[2]) - 1 && day.getUTCDate() === Number(m[3]) && !Number.isNaN(Date.parse(v))
}

// Documented as a date or a date-time; the check itself is realDate's, which also takes a time without seconds (2026-01-15T09:30Z).
const instant = (description: string) => z.string().max(40).meta({ anyOf: [{ format: 'date' }, { format: 'date-time' }] })
  .refine(realDate, 'an ISO 8601 date (2026-01-15) or date and time with its zone (2026-01-15T09:30:00Z)')
  .transform((v) => appleInstant(Date.parse(v)))
  .optional()
  .describe(`${description} (ISO 8601: a date, taken as midnight UTC, or a date and time with its zone)`)

/** Query of `GET …/devices`; every filter is optional and they combine with AND. */
export const deviceListQuerySchema = z.object({
  serial: list('Only these serial numbers'),
  serial_prefix: list('Only serial numbers starting with this'),
  model: list('Only this model, e.g. "MacBook Pro"'),
  os: list('Only this OS: iOS, iPadOS, OSX, tvOS, visionOS', queryChoice(OS_VALUES)),
  device_family: list('Only this family: iPad, iPhone, iPod, Mac, AppleTV, Vision', queryChoice(DEVICE_FAMILIES)),
  profile_status: list('Only this profile status: empty, assigned, pushed, removed', queryChoice(PROFILE_STATUSES)),
  profile_uuid: list('Only devices assigned this profile'),
  asset_tag: list('Only this asset tag'),
  color: list('Only this color, e.g. "SPACE GRAY"'),
  device_assigned_by: list('Only devices assigned to this server by this Apple Account'),
  description: queryList(queryText, { commas: false }).optional().describe('Only devices whose description contains this text (case-insensitive); repeat the parameter to match any of several (commas are part of the text)'),
  assigned_after: instant('Only devices assigned to this server at or after this time'),
  assigned_before: instant('Only devices assigned to this server before this time')
})
export type DeviceListQuery = z.infer<typeof deviceListQuerySchema>

/** The `source` of an answer from Apple (see sourceUnion in mirror.ts). */
export const fromApple = z.literal('apple').describe('`apple`: depgate asked Apple for this answer (as the X-Depgate-Source header says)')

export const deviceListSchema = z.object({
  source: fromApple,
  devices: z.array(deviceSchema),
  count: z.number().int().describe('Number of devices in `devices` (after filtering)'),
  cursor: z.string().describe('Apple\'s cursor after the last page: pass it to GET …/devices/changes?cursor= to get what changed since. Valid for 7 days.'),
  fetched_until: timestamp().optional().describe('Apple\'s progress time stamp of the fetch, when Apple gave one')
}).meta({
  id: 'DeviceList',
  description: 'Every device currently assigned to this MDM server (all of Apple\'s pages), filtered.',
  examples: [{
    source: 'apple',
    devices: [{ serial_number: 'C02XK1ABCDEF', model: 'MacBook Pro', os: 'OSX', device_family: 'Mac', profile_status: 'empty' }],
    count: 1,
    cursor: 'MTc2NDAwMDAwMC0x',
    fetched_until: '2026-11-25T09:30:00Z'
  }]
})

/** The last line of an NDJSON device stream when every page arrived. */
export const deviceStreamTrailerSchema = z.object({
  cursor: z.string(),
  fetched_until: timestamp().optional(),
  count: z.number().int()
}).meta({ id: 'DeviceStreamTrailer', description: 'Last NDJSON line of a complete device stream.' })

export const deviceDetailsBodySchema = z.object({
  serials: serialListSchema().describe('1 to 10000 distinct serial numbers')
}).meta({
  id: 'DeviceDetailsRequest',
  examples: [{ serials: ['C02XK1ABCDEF', 'DMPXK2ABCDEF'] }]
})

/** A `POST /devices` entry: a serial this server cannot see carries only `response_status`. */
export const deviceDetailSchema = deviceSchema.extend({ serial_number: z.string().optional() })
  .meta({ id: 'DeviceDetail', description: 'A device with Apple\'s response_status; only response_status when NOT_ACCESSIBLE' })

export const deviceDetailsSchema = z.object({
  devices: z.record(z.string(), deviceDetailSchema).describe('Keyed by serial; a serial Apple does not show to this server has only `response_status: NOT_ACCESSIBLE`'),
  count: z.number().int()
}).meta({
  id: 'DeviceDetails',
  examples: [{
    devices: {
      C02XK1ABCDEF: { serial_number: 'C02XK1ABCDEF', model: 'MacBook Pro', os: 'OSX', response_status: 'SUCCESS' },
      DMPXK2ABCDEF: { serial_number: 'DMPXK2ABCDEF', response_status: 'NOT_ACCESSIBLE' }
    },
    count: 2
  }]
})

/** Query of `GET …/devices/changes` for Apple's changes; the mirror's `since`, `limit` and `wait` join it (mirror.ts). */
export const changesQuerySchema = z.object({
  cursor: z.string().min(1).max(1000).optional().describe('Apple\'s changes since this cursor: the cursor of GET …/devices?source=apple, or of the previous call here')
})

export const changesSchema = z.object({
  source: fromApple,
  changes: z.array(deviceSchema).describe('Change records in Apple\'s order (oldest first), each with op_type and op_date; a serial can appear more than once — the record with the latest op_date is its current state'),
  count: z.number().int(),
  cursor: z.string().describe('Cursor to pass next time'),
  fetched_until: timestamp().optional(),
  more_to_follow: z.literal(false).describe('Always false: every page was drained')
}).meta({
  id: 'DeviceChanges',
  examples: [{
    source: 'apple',
    changes: [{ serial_number: 'C02XK1ABCDEF', op_type: 'modified', op_date: '2026-11-25T09:30:00Z', profile_status: 'pushed' }],
    count: 1,
    cursor: 'MTc2NDAwMDAwMC0y',
    more_to_follow: false
  }]
})
