/**
 * API shapes of the account-level routes: account detail, beta enrollment tokens and
 * account-driven enrollment service discovery. Apple's field names are kept.
 */
import { z } from 'zod'

export const accountSchema = z.looseObject({
  server_name: z.string().optional().describe('The MDM server\'s name in Apple Business/School Manager'),
  server_uuid: z.string().optional(),
  admin_id: z.string().optional().describe('The Apple Account that generated the token in use'),
  facilitator_id: z.string().optional().describe('Deprecated alias of admin_id'),
  org_name: z.string().optional(),
  org_email: z.string().optional(),
  org_phone: z.string().optional(),
  org_address: z.string().optional(),
  org_id: z.string().optional(),
  org_id_hash: z.string().optional(),
  org_type: z.string().optional().describe('edu or org'),
  org_version: z.string().optional().describe('v1 (Apple Deployment Programs) or v2 (ABM/ASM)'),
  urls: z.array(z.looseObject({
    uri: z.string(),
    http_method: z.array(z.string()).optional(),
    limit: z.looseObject({ default: z.number().optional(), maximum: z.number().optional() }).optional()
  })).optional().describe('Apple\'s self-description of the endpoints and page limits')
}).meta({
  id: 'Account',
  description: 'Apple\'s account detail for this MDM server.',
  examples: [{
    server_name: 'Example MDM',
    server_uuid: '0123456789ABCDEF0123456789ABCDEF',
    admin_id: 'admin@example.com',
    org_name: 'Example Inc',
    org_email: 'it@example.com',
    org_phone: '+1 555 0100',
    org_address: '1 Example Way, Springfield',
    org_type: 'org',
    org_version: 'v2'
  }]
})

export const betaTokensSchema = z.looseObject({
  betaEnrollmentTokens: z.array(z.looseObject({
    token: z.string().optional(),
    title: z.string().optional(),
    os: z.string().optional()
  })).optional().describe('Apple\'s camelCase key, kept as is')
}).meta({
  id: 'BetaEnrollmentTokens',
  examples: [{ betaEnrollmentTokens: [{ token: 'fake-token-1', title: 'macOS 27 beta', os: 'OSX' }] }]
})

export const adeProfileSchema = z.looseObject({
  mdm_service_discovery_url: z.string(),
  last_updated_timestamp: z.string().optional()
}).meta({
  id: 'AccountDrivenEnrollment',
  description: 'The MDM service discovery URL Apple gives devices for account-driven enrollment.',
  examples: [{ mdm_service_discovery_url: 'https://mdm.example.com/.well-known/com.apple.remotemanagement', last_updated_timestamp: '2026-11-25T09:30:00Z' }]
})

export const adeProfileBodySchema = z.object({
  mdm_service_discovery_url: z.url({ protocol: /^https$/, error: 'must be an https:// URL' }).max(2000)
}).meta({
  id: 'AccountDrivenEnrollmentRequest',
  examples: [{ mdm_service_discovery_url: 'https://mdm.example.com/.well-known/com.apple.remotemanagement' }]
})
