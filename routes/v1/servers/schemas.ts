import { z } from 'zod'
import { serverTokenSchema } from '../../../src/tokens/server-token.js'

export const serverInfoSchema = z.object({
  name: z.string(),
  base_url: z.string().describe('Where depgate sends this server\'s requests (Apple, or a simulator)'),
  token_fingerprint: z.string().describe('A short hash of the consumer key: tells tokens apart, reveals nothing'),
  token_expires_at: z.string().nullable().describe('The token\'s access_token_expiry, or null when the token has none'),
  token_days_left: z.number().int().nullable().describe('Whole days until the token expires (negative once expired)'),
  token_expired: z.boolean(),
  account: z.object({
    server_uuid: z.string().nullable(),
    server_name: z.string().nullable(),
    org_name: z.string().nullable(),
    checked_at: z.string()
  }).nullable().describe('The Apple MDM server and organisation this token belongs to, as /account said when the token was stored (null: not checked)'),
  terms_not_signed: z.boolean().describe('True since Apple answered T_C_NOT_SIGNED (new terms to accept in Apple Business/School Manager), until a call succeeds'),
  terms_not_signed_since: z.string().nullable(),
  last_error: z.object({ code: z.string(), at: z.string() }).nullable().describe('The last error Apple (or the network) gave for this server, cleared by the next success'),
  created_at: z.string(),
  updated_at: z.string()
}).meta({
  id: 'Server',
  description: 'A DEP server (one server token). Secrets are never shown.',
  examples: [{
    name: 'default',
    base_url: 'https://mdmenrollment.apple.com',
    token_fingerprint: 'sha256:3f2a9c0e71b4',
    token_expires_at: '2027-03-01T09:00:00.000Z',
    token_days_left: 210,
    token_expired: false,
    account: { server_uuid: '6A7F0C3E-2B1D-4E5F-9A8B-0C1D2E3F4A5B', server_name: 'depgate', org_name: 'Example School', checked_at: '2026-01-05T10:00:00.000Z' },
    terms_not_signed: false,
    terms_not_signed_since: null,
    last_error: null,
    created_at: '2026-01-05T10:00:00.000Z',
    updated_at: '2026-01-05T10:00:00.000Z'
  }]
})

export const putServerSchema = z.object({
  token: z.union([
    serverTokenSchema,
    z.string().min(1).describe('The decrypted token file as text (Apple\'s -----BEGIN MESSAGE----- MIME text, or its JSON)')
  ]).describe('The decrypted server token: as a JSON object, or the decrypted file\'s text'),
  base_url: z.url({ protocol: /^https?$/ }).optional()
    .describe('Override of Apple\'s https://mdmenrollment.apple.com (a simulator, a proxy)')
}).meta({
  id: 'ServerPutRequest',
  examples: [{
    token: {
      consumer_key: 'CK_<from the decrypted token>',
      consumer_secret: 'CS_<from the decrypted token>',
      access_token: 'AT_<from the decrypted token>',
      access_secret: 'AS_<from the decrypted token>',
      access_token_expiry: '2027-03-01T09:00:00Z'
    }
  }]
})

export const certificateSchema = z.object({
  server: z.string(),
  certificate_pem: z.string().describe('The PEM certificate to upload to Apple Business/School Manager as the MDM server\'s public key'),
  fingerprint_sha256: z.string().describe('SHA-256 fingerprint (AB:CD:…), to compare with what Apple shows'),
  staged_at: z.string().describe('When this key pair was staged; empty when it is the current (already used) pair')
}).meta({
  id: 'ServerCertificate',
  description: 'A key pair\'s certificate. The private key stays in depgate, sealed at rest.'
})

export const tokenUploadQuerySchema = z.object({
  force: z.enum(['true', 'false']).default('false').transform((v) => v === 'true')
    .describe('Replace a token of a different Apple MDM server (another consumer key). Off by default: overwriting another server\'s token by mistake is the danger.'),
  verify: z.enum(['true', 'false']).default('true').transform((v) => v === 'true')
    .describe('Try the token with Apple\'s /session and /account before storing it (default true)'),
  base_url: z.url({ protocol: /^https?$/ }).optional()
    .describe('Override of Apple\'s https://mdmenrollment.apple.com for this server (a simulator, a proxy)')
})

export const tokenUploadResultSchema = z.object({
  created: z.boolean().describe('True when this created the server'),
  key: z.enum(['staged', 'current']).describe('Which key pair opened the file; `staged` is now the current one'),
  server: serverInfoSchema
}).meta({ id: 'TokenUploadResult' })
