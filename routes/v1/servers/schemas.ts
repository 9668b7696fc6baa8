import { z } from 'zod'
import { timestamp } from '../../../src/api/timestamps.js'
import { serverInfoSchema } from '../../../src/api/server-info.js'
import { serverTokenSchema } from '../../../src/tokens/server-token.js'
import { httpUrlSchema } from '../../../src/api/url-policy.js'
import { queryFlag } from '../../../src/api/query-values.js'
import { orgLinkFields } from '../../../src/api/server-org.js'

export { serverInfoSchema }

export const putServerSchema = z.object({
  token: z.union([
    serverTokenSchema,
    z.string().min(1).describe('The decrypted token file as text (Apple\'s -----BEGIN MESSAGE----- MIME text, or its JSON)')
  ]).describe('The decrypted server token: as a JSON object, or the decrypted file\'s text'),
  base_url: httpUrlSchema().optional()
    .describe('Override of Apple\'s https://mdmenrollment.apple.com (a simulator, a proxy); a URL with user:password@ is refused'),
  ...orgLinkFields
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
  staged_at: timestamp().describe('When this key pair was staged')
}).meta({
  id: 'ServerCertificate',
  description: 'A key pair\'s certificate. The private key stays in depgate, sealed at rest.'
})

export const tokenUploadQuerySchema = z.object({
  force: queryFlag(false)
    .describe('Replace a token of a different Apple MDM server (another consumer key). Off by default: overwriting another server\'s token by mistake is the danger.'),
  verify: queryFlag(true)
    .describe('Try the token with Apple\'s /session and /account before storing it (default true)'),
  base_url: httpUrlSchema().optional()
    .describe('Override of Apple\'s https://mdmenrollment.apple.com for this server (a simulator, a proxy); a URL with user:password@ is refused')
})

export const tokenUploadResultSchema = z.object({
  created: z.boolean().describe('True when this created the server'),
  key: z.enum(['staged', 'current']).describe('Which key pair opened the file; `staged` is now the current one'),
  server: serverInfoSchema
}).meta({ id: 'TokenUploadResult' })
