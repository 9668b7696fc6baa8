/**
 * API shapes of the device routes. Apple's field names are kept as they are (snake_case,
 * docs/apple-dep.md §2.15.1) so a script written against Apple's documentation reads our answers unchanged; fields
 * Apple adds later pass through (loose objects) instead of being silently dropped.
 */
import { z } from 'zod'
import { CONTROL_CHARACTER, serialListSchema } from './serials.js'

const iso = (description: string) => z.string().describe(`${description} (ISO-8601, UTC)`)

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

const list = (description: string) => z.string().max(8000).refine((v) => !CONTROL_CHARACTER.test(v), 'must not contain control characters').optional().describe(`${description}; a comma-separated list matches any of the values (case-insensitive)`)

/** Query of `GET …/devices`; every filter is optional and they combine with AND. */
export const deviceListQuerySchema = z.object({
  serial: list('Only these serial numbers'),
  model: list('Only this model, e.g. "MacBook Pro"'),
  os: list('Only this OS: iOS, iPadOS, OSX, tvOS, visionOS'),
  device_family: list('Only this family: iPad, iPhone, iPod, Mac, AppleTV, Vision'),
  profile_status: list('Only this profile status: empty, assigned, pushed, removed'),
  profile_uuid: list('Only devices assigned this profile')
})
export type DeviceListQuery = z.infer<typeof deviceListQuerySchema>

export const deviceListSchema = z.object({
  devices: z.array(deviceSchema),
  count: z.number().int().describe('Number of devices in `devices` (after filtering)'),
  cursor: z.string().describe('Apple\'s cursor after the last page: pass it to GET …/devices/changes?cursor= to get what changed since. Valid for 7 days.'),
  fetched_until: z.string().optional().describe('Apple\'s progress time stamp of the fetch, when Apple gave one')
}).meta({
  id: 'DeviceList',
  description: 'Every device currently assigned to this MDM server (all of Apple\'s pages), filtered.',
  examples: [{
    devices: [{ serial_number: 'C02XK1ABCDEF', model: 'MacBook Pro', os: 'OSX', device_family: 'Mac', profile_status: 'empty' }],
    count: 1,
    cursor: 'MTc2NDAwMDAwMC0x',
    fetched_until: '2026-11-25T09:30:00Z'
  }]
})

/** The last line of an NDJSON device stream when every page arrived. */
export const deviceStreamTrailerSchema = z.object({
  cursor: z.string(),
  fetched_until: z.string().optional(),
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
  changes: z.array(deviceSchema).describe('Change records in Apple\'s order (oldest first), each with op_type and op_date; a serial can appear more than once — the record with the latest op_date is its current state'),
  count: z.number().int(),
  cursor: z.string().describe('Cursor to pass next time'),
  fetched_until: z.string().optional(),
  more_to_follow: z.literal(false).describe('Always false: every page was drained')
}).meta({
  id: 'DeviceChanges',
  examples: [{
    changes: [{ serial_number: 'C02XK1ABCDEF', op_type: 'modified', op_date: '2026-11-25T09:30:00Z', profile_status: 'pushed' }],
    count: 1,
    cursor: 'MTc2NDAwMDAwMC0y',
    more_to_follow: false
  }]
})
