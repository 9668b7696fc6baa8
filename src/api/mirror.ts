/**
 * API shapes of the device mirror's reads: the list's paging and sorting parameters, the
 * mirror's list, summary and change feed. Devices keep Apple's field names; the mirror adds only
 * `removed_at`, on devices Apple no longer shows (listed with `removed=include|only`).
 */
import { z } from 'zod'
import { timestamp } from './timestamps.js'
import { SORT_KEYS } from '../store/mirror-reads.js'
import { deviceSchema, fromApple } from './devices.js'
import { deviceOrgField } from './device-org.js'
import { queryInteger } from './query-values.js'

const iso = (description: string) => timestamp().describe(`${description} (ISO-8601, UTC)`)

export const MAX_PAGE = 1000
export const MAX_WAIT_SECONDS = 60

/** Header naming where a device answer came from. */
export const SOURCE_HEADER = 'x-depgate-source'
/** Header with the mirror's last successful sync with Apple. */
export const SYNCED_AT_HEADER = 'x-depgate-synced-at'
/** A CSV page's `next_page_token` and `total`, which JSON carries beside the devices. */
export const NEXT_PAGE_HEADER = 'x-depgate-next-page-token'
export const TOTAL_HEADER = 'x-depgate-total'

export const sourceSchema = z.enum(['mirror', 'apple'])
  .describe('`mirror`: depgate\'s copy, instant (the default once the first full fetch has completed); `apple`: ask Apple now, every page')

/** What `GET …/devices` accepts besides the filters: all of it only from the mirror. */
export const mirrorListQueryFields = {
  source: sourceSchema.optional(),
  sort: z.enum(SORT_KEYS).optional().describe('Mirror only. Sort field (default serial_number); devices without the field come first in ascending order'),
  order: z.enum(['asc', 'desc']).optional().describe('Mirror only. Default asc'),
  limit: queryInteger(1, MAX_PAGE).optional().describe(`Mirror only. Devices per page, 1 to ${MAX_PAGE}; without it the whole list is streamed`),
  page_token: z.string().min(1).max(2000).optional().describe('Mirror only. The `next_page_token` of the previous page; use it with the same filters, sort and order'),
  removed: z.enum(['exclude', 'include', 'only']).optional().describe('Mirror only. Devices Apple no longer shows to this server: left out (`exclude`, default), added (`include`) or alone (`only`); they carry `removed_at`')
}

/** The `source` of an answer from the mirror (see sourceUnion). */
const fromMirror = z.literal('mirror').describe('`mirror`: answered from depgate\'s mirror (as the X-Depgate-Source header says)')

export const mirrorDeviceSchema = deviceSchema.extend({
  removed_at: iso('Mirror only: when depgate saw that Apple no longer shows the device to this server').optional()
}).meta({
  id: 'MirrorDevice',
  description: 'A device as Apple last described it (Apple\'s field names), from depgate\'s mirror; `removed_at` only on devices that left this server.'
})

/** `GET …/devices/{serial}` answered from the mirror. */
export const deviceFromMirrorSchema = mirrorDeviceSchema.extend({ org: deviceOrgField, source: fromMirror }).meta({
  id: 'DeviceFromMirror',
  description: 'One device as Apple last described it, from depgate\'s mirror, with `source: "mirror"`.',
  examples: [{ serial_number: 'C02XK1ABCDEF', model: 'MacBook Pro', os: 'OSX', device_family: 'Mac', profile_status: 'assigned', device_assigned_date: '2026-01-15T09:30:00Z', source: 'mirror' }]
})

/** `GET …/devices/{serial}` answered by Apple (device details, with Apple\'s `response_status`). */
export const deviceFromAppleSchema = deviceSchema.extend({ org: deviceOrgField, source: fromApple }).meta({
  id: 'DeviceFromApple',
  description: 'One device as Apple describes it now (its device details, with `response_status`), with `source: "apple"`.',
  examples: [{ serial_number: 'C02XK1ABCDEF', model: 'MacBook Pro', os: 'OSX', device_family: 'Mac', profile_status: 'assigned', device_assigned_date: '2026-01-15T09:30:00Z', response_status: 'SUCCESS', source: 'apple' }]
})

/** The `$ref` of a schema registered with `.meta({ id })`, as @fastify/type-provider-zod writes it. */
function componentRef (schema: z.ZodType): string {
  const id = z.globalRegistry.get(schema)?.id
  /* c8 ignore next -- a programming error caught when the app starts: every union member is registered */
  if (id === undefined) throw new Error('sourceUnion: each member needs .meta({ id })')
  return `#/components/schemas/${id}`
}

/**
 * A 200 answered from the mirror or by Apple, told apart by its `source` (the X-Depgate-Source
 * header says the same, but a generated client reads bodies). zod emits `oneOf`; the OpenAPI
 * `discriminator`, with its mapping (a generator would otherwise take the schema names for the
 * values), rides along as metadata, which zod copies into the document as it is.
 */
export function sourceUnion<M extends z.core.$ZodTypeDiscriminable & z.ZodType<{ source: 'mirror' }>, A extends z.core.$ZodTypeDiscriminable & z.ZodType<{ source: 'apple' }>> (mirror: M, apple: A) {
  return z.discriminatedUnion('source', [mirror, apple]).meta({
    discriminator: { propertyName: 'source', mapping: { mirror: componentRef(mirror), apple: componentRef(apple) } }
  })
}

const syncedAt = timestamp().nullable().describe('When the mirror last finished a sync with Apple (ISO-8601, UTC); also in the X-Depgate-Synced-At header')
const lastSeq = z.number().int().describe('The change feed\'s newest sequence number when this answer was read: follow later changes with GET …/devices/changes?since=<last_seq>')

export const mirrorDeviceListSchema = z.object({
  source: fromMirror,
  devices: z.array(mirrorDeviceSchema),
  count: z.number().int().describe('Number of devices in this answer'),
  total: z.number().int().describe('Number of devices matching the filters (and removed), across all pages'),
  next_page_token: z.string().nullable().describe('Pass as `page_token` for the next page; null on the last page (and for the whole list)'),
  synced_at: syncedAt,
  last_seq: lastSeq
}).meta({
  id: 'MirrorDeviceList',
  description: 'Devices from depgate\'s mirror: a page (with `limit`), or the whole list.',
  examples: [{
    source: 'mirror',
    devices: [{ serial_number: 'C02XK1ABCDEF', model: 'MacBook Pro', os: 'OSX', device_family: 'Mac', profile_status: 'assigned' }],
    count: 1,
    total: 812,
    next_page_token: 'WyJDMDJYSzFBQkNERUYiLCJDMDJYSzFBQkNERUYiLCI0YjFjIl0',
    synced_at: '2026-11-25T09:30:00.000Z',
    last_seq: 20412
  }]
})

/** The last NDJSON line of a complete list from the mirror. */
export const mirrorStreamTrailerSchema = z.object({
  count: z.number().int(),
  total: z.number().int().describe('The same as count: the whole list is every matching device'),
  synced_at: syncedAt,
  last_seq: lastSeq
}).meta({ id: 'MirrorStreamTrailer', description: 'Last NDJSON line of a complete list from the mirror.' })

const counts = (what: string) => z.record(z.string(), z.number().int()).describe(`Present devices by ${what}; \`(none)\` counts devices without it`)

export const mirrorSummarySchema = z.object({
  total: z.number().int().describe('Devices Apple shows to this server now'),
  removed: z.number().int().describe('Devices that have left this server (kept in the mirror with removed_at)'),
  by_device_family: counts('device_family'),
  by_model: counts('model'),
  by_os: counts('os'),
  by_profile_status: counts('profile_status'),
  synced_at: syncedAt,
  last_seq: lastSeq
}).meta({
  id: 'DeviceSummary',
  description: 'Device counts for dashboards, from the mirror.',
  examples: [{
    total: 1250,
    removed: 14,
    by_device_family: { Mac: 700, iPad: 400, iPhone: 150 },
    by_model: { 'MacBook Pro': 420, 'MacBook Air': 280, 'iPad (10th generation)': 400, 'iPhone 15': 150 },
    by_os: { OSX: 700, iPadOS: 400, iOS: 150 },
    by_profile_status: { empty: 40, assigned: 60, pushed: 1150 },
    synced_at: '2026-11-25T09:30:00.000Z',
    last_seq: 20412
  }]
})

export const mirrorChangesQueryFields = {
  since: queryInteger(0, Number.MAX_SAFE_INTEGER).optional().describe('Read the mirror\'s change feed after this sequence number: 0 for everything, then the `next_since` of the previous answer'),
  limit: queryInteger(1, MAX_PAGE).optional().describe(`With since: at most this many changes (1 to ${MAX_PAGE}, default ${MAX_PAGE}); \`more\` says when others follow`),
  wait: queryInteger(0, MAX_WAIT_SECONDS).optional().describe(`With since: when nothing is new, wait up to this many seconds (at most ${MAX_WAIT_SECONDS}) for a change before answering (long poll)`)
}

export const mirrorChangeSchema = z.object({
  seq: z.number().int().describe('Sequence number: 1, 2, 3 … per server, without gaps'),
  op: z.enum(['added', 'modified', 'removed']).describe('`added`: the device appeared on this server; `modified`: a field changed; `removed`: Apple no longer shows it'),
  serial_number: z.string(),
  at: iso('When depgate recorded the change'),
  device: deviceSchema.describe('The device after the change (for `removed`, as last known)')
}).meta({ id: 'MirrorChange' })

export const mirrorChangesSchema = z.object({
  source: fromMirror,
  changes: z.array(mirrorChangeSchema).describe('Oldest first'),
  count: z.number().int(),
  next_since: z.number().int().describe('Pass as `since` next time (the last `seq` here, or your `since` when nothing was new)'),
  last_seq: z.number().int().describe('The feed\'s newest sequence number'),
  more: z.boolean().describe('True when more changes follow right away: call again with next_since')
}).meta({
  id: 'MirrorChanges',
  description: 'The mirror\'s change feed after a sequence number.',
  examples: [{
    source: 'mirror',
    changes: [
      { seq: 20411, op: 'added', serial_number: 'C02XK1ABCDEF', at: '2026-11-25T09:30:00.000Z', device: { serial_number: 'C02XK1ABCDEF', model: 'MacBook Pro', os: 'OSX', device_family: 'Mac', profile_status: 'empty' } },
      { seq: 20412, op: 'removed', serial_number: 'DMPXK2ABCDEF', at: '2026-11-25T09:30:00.000Z', device: { serial_number: 'DMPXK2ABCDEF', model: 'iPad Air', os: 'iPadOS', device_family: 'iPad' } }
    ],
    count: 2,
    next_since: 20412,
    last_seq: 20412,
    more: false
  }]
})
