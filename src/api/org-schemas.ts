/**
 * The org routes' shapes (zod: validation, types and the OpenAPI document). Never a secret: the
 * private key goes in, nothing of it comes out.
 */
import { z } from 'zod'
import { mirrorChangeSchema, mirrorChangesQueryFields, mirrorChangesSchema } from './mirror.js'
import { queryInteger } from './query-values.js'
import { httpUrlSchema } from './url-policy.js'

export const ORG_NAME_PATTERN = /^[a-z0-9][a-z0-9-]{0,62}$/

export const orgParamsSchema = z.object({
  org: z.string().regex(ORG_NAME_PATTERN, 'must be 1-63 lower-case letters, digits or dashes, starting with a letter or digit')
    .describe('The organisation\'s name at depgate (`default` on the demo)')
})

export const orgSerialParamsSchema = orgParamsSchema.extend({
  serial: z.string().min(1).max(64).regex(/^[A-Za-z0-9-]+$/, 'must be letters, digits or dashes').describe('The device\'s serial number')
})

export const putOrgSchema = z.object({
  client_id: z.string().min(1).max(200).describe('The API account\'s client id, `BUSINESSAPI.…` (Apple Business Manager) or `SCHOOLAPI.…` (Apple School Manager)'),
  key_id: z.string().min(1).max(200).describe('The key id Apple Business Manager shows beside the client id'),
  private_key: z.string().min(1).max(16_384).describe('The `.pem` file Apple let you download once, whole (either PEM header Apple has used)'),
  // The same policy as a DEP server's base_url: http(s), never user:password@ (it is shown to every read key).
  base_url: httpUrlSchema().optional().describe('The API host, default by the client id: https://api-business.apple.com or https://api-school.apple.com; a URL with user:password@ is refused'),
  token_url: httpUrlSchema().optional().describe('The token endpoint, default https://account.apple.com/auth/oauth2/token; a URL with user:password@ is refused')
}).meta({ id: 'PutOrg' })

export const putOrgQuerySchema = z.object({
  verify: z.enum(['true', 'false']).optional().describe('`false` stores the account without asking Apple for a token first (default `true`)')
})

const errorState = z.object({ code: z.string(), at: z.string() }).nullable()

export const orgSchema = z.object({
  name: z.string(),
  client_id: z.string(),
  key_id: z.string(),
  scope: z.string().describe('`business.api` or `school.api`, from the client id'),
  base_url: z.string().nullable(),
  token_url: z.string().nullable(),
  token: z.object({
    expires_at: z.string().nullable().describe('When the access token depgate last got expires (never the token itself)'),
    checked_at: z.string().nullable().describe('When depgate last got an access token')
  }),
  last_error: errorState.describe('The last failure of a call to Apple for this org, cleared by a success'),
  mirror: z.object({
    ready: z.boolean().describe('The first refresh has completed: device reads are answered'),
    last_refresh_at: z.string().nullable(),
    refresh_started_at: z.string().nullable(),
    device_count: z.number().int(),
    last_seq: z.number().int().describe('The last change written to the org\'s change feed'),
    last_error: z.object({ code: z.string(), message: z.string(), at: z.string() }).nullable()
  }),
  created_at: z.string(),
  updated_at: z.string()
}).meta({ id: 'Org' })

export const orgListSchema = z.object({ orgs: z.array(orgSchema) }).meta({ id: 'OrgList' })

export const orgDeviceSchema = z.object({
  serial_number: z.string(),
  status: z.string().nullable().describe('`ASSIGNED` or `UNASSIGNED` to an MDM server'),
  mdm_server: z.string().nullable().describe('The id of the MDM server the device is assigned to'),
  product_family: z.string().nullable(),
  order_number: z.string().nullable(),
  purchase_source: z.string().nullable().describe('`APPLE`, `RESELLER` or `MANUALLY_ADDED`'),
  applecare_end: z.string().nullable().describe('The latest end of the device\'s AppleCare coverage, once a live lookup (`source=apple`) read it'),
  first_seen_at: z.string(),
  last_changed_at: z.string(),
  removed_at: z.string().nullable(),
  attributes: z.record(z.string(), z.unknown()).describe('Every attribute Apple sent, under Apple\'s names (deviceModel, orderDateTime, imei, wifiMacAddress…)')
}).meta({ id: 'OrgDevice' })

export const orgDeviceListSchema = z.object({
  devices: z.array(orgDeviceSchema),
  count: z.number().int(),
  total: z.number().int().describe('Devices matching the filters on all pages'),
  next_page_token: z.string().nullable(),
  refreshed_at: z.string().nullable(),
  last_seq: z.number().int()
}).meta({ id: 'OrgDeviceList' })

const filterValues = z.string().min(1).max(2000)
export const orgDeviceQuerySchema = z.object({
  status: filterValues.optional().describe('`ASSIGNED` or `UNASSIGNED` (comma-separated values match any)'),
  mdm_server: filterValues.optional().describe('MDM server ids'),
  product_family: filterValues.optional().describe('Mac, iPhone, iPad, AppleTV, Watch, Vision'),
  serial_prefix: filterValues.optional().describe('Serial number prefixes'),
  order_number: filterValues.optional(),
  purchase_source: filterValues.optional().describe('APPLE, RESELLER, MANUALLY_ADDED'),
  limit: z.coerce.number().int().min(1).max(1000).optional().describe('Devices per page (default 100; JSON only: NDJSON and CSV answer the whole list)'),
  page_token: z.string().max(500).optional().describe('The previous page\'s `next_page_token`, with the same filters'),
  format: z.enum(['json', 'ndjson', 'csv']).optional().describe('The answer\'s form, instead of the Accept header')
})

export const appleCareSchema = z.object({
  id: z.string(),
  status: z.string().optional(),
  paymentType: z.string().optional(),
  description: z.string().optional(),
  agreementNumber: z.string().optional(),
  startDateTime: z.string().optional(),
  endDateTime: z.string().optional(),
  isRenewable: z.boolean().optional(),
  isCanceled: z.boolean().optional(),
  contractCancelDateTime: z.string().optional()
}).meta({ id: 'AppleCareCoverage' })

export const orgDeviceAnswerSchema = z.object({
  source: z.enum(['mirror', 'apple']),
  device: orgDeviceSchema,
  mdm_server_name: z.string().nullable(),
  applecare: z.array(appleCareSchema).nullable().describe('Apple\'s AppleCare coverage records (`source=apple` only; null from the mirror)')
}).meta({ id: 'OrgDeviceAnswer' })

export const orgDeviceGetQuerySchema = z.object({
  source: z.enum(['mirror', 'apple']).optional().describe('`apple` asks Apple live (the device, its MDM server and its AppleCare coverage: three calls); default the mirror')
})

export const orgMdmServerListSchema = z.object({
  mdm_servers: z.array(z.object({
    id: z.string(),
    server_name: z.string().nullable(),
    server_type: z.string().nullable().describe('`MDM`, `APPLE_CONFIGURATOR` or `APPLE_MDM`'),
    device_count: z.number().int().describe('Devices of the org mirror assigned to it'),
    attributes: z.record(z.string(), z.unknown()),
    updated_at: z.string()
  })),
  refreshed_at: z.string().nullable()
}).meta({ id: 'OrgMdmServerList' })

export const orgChangesQuerySchema = z.object({
  since: queryInteger(0, Number.MAX_SAFE_INTEGER).describe('Read the org mirror\'s change feed after this sequence number: 0 for everything, then the `next_since` of the previous answer'),
  limit: mirrorChangesQueryFields.limit
})

/** The DEP feed's change, with the org device as the org mirror's refresh saw it. */
export const orgChangeSchema = mirrorChangeSchema.extend({
  seq: z.number().int().describe('Sequence number: 1, 2, 3 … per organisation'),
  op: z.enum(['added', 'modified', 'removed']).describe('`added`: the device appeared in the organisation (or came back); `modified`: an attribute or its MDM server changed; `removed`: a completed refresh no longer saw it'),
  device: z.object({
    serial_number: z.string(),
    mdm_server: z.string().nullable().describe('The id of the MDM server the device is assigned to'),
    attributes: z.record(z.string(), z.unknown()).describe('Every attribute Apple sent, under Apple\'s names')
  }).describe('The device after the change (for `removed`, as last seen)')
}).meta({ id: 'OrgChange' })

export const orgChangesSchema = mirrorChangesSchema.extend({
  changes: z.array(orgChangeSchema).describe('Oldest first')
}).meta({
  id: 'OrgChanges',
  description: 'The org mirror\'s change feed after a sequence number.',
  examples: [{
    source: 'mirror',
    changes: [
      { seq: 812, op: 'modified', serial_number: 'C02XK1ABCDEF', at: '2026-11-25T09:30:00.000Z', device: { serial_number: 'C02XK1ABCDEF', mdm_server: '1F97349736CF4614A94F624E705841AD', attributes: { serialNumber: 'C02XK1ABCDEF', productFamily: 'Mac', status: 'ASSIGNED' } } },
      { seq: 813, op: 'removed', serial_number: 'DMPXK2ABCDEF', at: '2026-11-25T09:30:00.000Z', device: { serial_number: 'DMPXK2ABCDEF', mdm_server: null, attributes: { serialNumber: 'DMPXK2ABCDEF', productFamily: 'iPad', status: 'UNASSIGNED' } } }
    ],
    count: 2,
    next_since: 813,
    last_seq: 813,
    more: false
  }]
})
