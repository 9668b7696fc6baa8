/**
 * API shapes of the profile routes. The profile body keeps Apple's field names
 * (docs/apple-dep.md §2.15.2). Types are checked by zod; Apple's own rules (lengths, FLAGS_INVALID, locale, URL) are
 * checked by src/dep/profile-rules.ts so the caller gets Apple's code, not a generic one.
 */
import { z } from 'zod'
import { serverParamsSchema } from './route-kit.js'
import { serialListSchema } from './serials.js'

/** Apple's per-device results: define / assign / remove / disown. */
export const deviceStatusSchema = z.string().describe('SUCCESS, NOT_ACCESSIBLE, FAILED, or THROTTLED (assign only)')
export const deviceStatusMapSchema = z.record(z.string(), deviceStatusSchema)
  .meta({ id: 'DeviceStatusMap', description: 'Apple\'s answer per serial', examples: [{ C02XK1ABCDEF: 'SUCCESS', DMPXK2ABCDEF: 'NOT_ACCESSIBLE' }] })

export const PROFILE_UUID_PATTERN = /^[0-9A-Fa-f]{32}$|^[0-9A-Fa-f]{8}-[0-9A-Fa-f]{4}-[0-9A-Fa-f]{4}-[0-9A-Fa-f]{4}-[0-9A-Fa-f]{12}$/

/** Apple writes profile UUIDs as 32 upper-case hex digits; the dashed form is accepted and normalised. */
export const profileUuidSchema = z.string('a profile UUID is 32 hexadecimal digits')
  .regex(PROFILE_UUID_PATTERN, 'a profile UUID is 32 hexadecimal digits (dashes allowed)')
  .overwrite((v) => v.replace(/-/g, '').toUpperCase())
  .meta({ id: 'ProfileUuid', description: '32 hexadecimal digits, as Apple returns them (a dashed UUID is accepted too)', examples: ['0123456789ABCDEF0123456789ABCDEF'] })

const text = (description: string) => z.string().optional().describe(description)
const flag = (description: string) => z.boolean().optional().describe(description)

const profileFields = {
  profile_name: text('Shown on the device during Setup Assistant. Required; at most 125 characters'),
  url: text('Your MDM enrollment URL. Required; absolute https:, at most 2000 URL-encoded characters'),
  configuration_web_url: text('Web page for custom authentication before enrollment; https:, from the same host as url'),
  allow_pairing: flag('Default true (deprecated by Apple in iOS 13)'),
  is_supervised: flag('Default false (ignored from iOS 13: all ADE devices are supervised)'),
  is_mandatory: flag('Default false'),
  is_mdm_removable: flag('Default true; false requires is_supervised: true'),
  is_multi_user: flag('Shared iPad'),
  await_device_configured: flag('Default false'),
  auto_advance_setup: flag('Default false'),
  is_return_to_service: flag('Default false'),
  do_not_use_profile_from_backup: flag('Default false'),
  department: text('At most 125 characters'),
  org_magic: text('At most 256 characters'),
  support_phone_number: text('At most 50 characters'),
  support_email_address: text('At most 250 characters'),
  language: text('ISO 639 code, e.g. "en"'),
  region: text('ISO 3166-1 code, e.g. "US"'),
  anchor_certs: z.array(z.string()).optional().describe('Base64 DER certificates'),
  supervising_host_certs: z.array(z.string()).optional().describe('Base64 DER certificates'),
  skip_setup_items: z.array(z.string()).optional().describe('Setup Assistant panes to skip (Apple\'s SkipKeys)')
}

export const profileExample = {
  profile_name: 'Example Corp Macs',
  url: 'https://mdm.example.com/enroll',
  is_supervised: true,
  is_mandatory: true,
  is_mdm_removable: false,
  department: 'IT',
  org_magic: 'example-org-1',
  support_phone_number: '+1 555 0100',
  language: 'en',
  region: 'US',
  skip_setup_items: ['Siri', 'Privacy']
}

/** Unknown keys are refused (strict) so a misspelt flag such as `is_supervized` is not silently dropped. */
export const profileInputSchema = z.strictObject({
  ...profileFields,
  devices: serialListSchema(1000).optional().describe('Serials to assign the new profile to right away (at most 1000)')
}).meta({
  id: 'ProfileDefinition',
  description: 'An enrollment profile to define, with Apple\'s field names and rules.',
  examples: [{ ...profileExample, devices: ['C02XK1ABCDEF'] }]
})

export const defineProfileResultSchema = z.object({
  profile_uuid: z.string(),
  devices: deviceStatusMapSchema
}).meta({
  id: 'DefineProfileResult',
  examples: [{ profile_uuid: '0123456789ABCDEF0123456789ABCDEF', devices: { C02XK1ABCDEF: 'SUCCESS' } }]
})

export const profileSchema = z.looseObject({
  profile_uuid: z.string().optional(),
  ...profileFields
}).meta({
  id: 'Profile',
  description: 'A profile as Apple returns it.',
  examples: [{ profile_uuid: '0123456789ABCDEF0123456789ABCDEF', ...profileExample }]
})

export const profileParamsSchema = serverParamsSchema.extend({ uuid: profileUuidSchema })

export const assignBodySchema = z.object({
  serials: serialListSchema().describe('1 to 10000 distinct serials; sent to Apple in chunks of at most 1000')
}).meta({ id: 'AssignProfileRequest', examples: [{ serials: ['C02XK1ABCDEF', 'DMPXK2ABCDEF'] }] })

export const statusSummarySchema = z.record(z.string(), z.number().int())
  .meta({ id: 'StatusSummary', description: 'How many serials got each status', examples: [{ SUCCESS: 1, THROTTLED: 1 }] })

/** What every per-serial write answers: Apple's status per serial and the count per status. */
export const perSerialResultShape = { devices: deviceStatusMapSchema, summary: statusSummarySchema }

export const assignResultSchema = z.object({
  profile_uuid: z.string(),
  ...perSerialResultShape,
  retry_after_seconds: z.number().int().optional().describe('Present when some serials are THROTTLED: wait at least this long before assigning those again')
}).meta({
  id: 'AssignProfileResult',
  examples: [{
    profile_uuid: '0123456789ABCDEF0123456789ABCDEF',
    devices: { C02XK1ABCDEF: 'SUCCESS', DMPXK2ABCDEF: 'THROTTLED' },
    summary: { SUCCESS: 1, THROTTLED: 1 },
    retry_after_seconds: 60
  }]
})

export const removeBodySchema = z.object({
  serials: serialListSchema().describe('1 to 10000 distinct serials'),
  profile_uuid: profileUuidSchema.optional().describe('Accepted and sent on, although Apple appears to ignore it')
}).meta({ id: 'RemoveProfileRequest', examples: [{ serials: ['C02XK1ABCDEF'] }] })

export const removeResultSchema = z.object(perSerialResultShape).meta({ id: 'RemoveProfileResult', examples: [{ devices: { C02XK1ABCDEF: 'SUCCESS' }, summary: { SUCCESS: 1 } }] })

/** Counts per status, so a script can check `summary.SUCCESS === serials.length` without a loop. */
export function summarize (devices: Record<string, string>): Record<string, number> {
  const summary: Record<string, number> = {}
  for (const status of Object.values(devices)) summary[status] = (summary[status] ?? 0) + 1
  return summary
}
