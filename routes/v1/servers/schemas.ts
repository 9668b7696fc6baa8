import { z } from 'zod'
import { SERVER_NAME_PATTERN } from '../../../plugins/app/dep-servers.js'
import { serverTokenSchema } from '../../../src/tokens/server-token.js'

export const serverNameParamsSchema = z.object({
  server: z.string().regex(SERVER_NAME_PATTERN, 'must be 1-63 lower-case letters, digits or dashes, starting with a letter or digit')
    .describe('The DEP server name (`default` on a single-token install)')
})

export const serverInfoSchema = z.object({
  name: z.string(),
  base_url: z.string().describe('Where depgate sends this server\'s requests (Apple, or a simulator)'),
  token_fingerprint: z.string().describe('A short hash of the consumer key: tells tokens apart, reveals nothing'),
  token_expires_at: z.string().nullable().describe('The token\'s access_token_expiry, or null when the token has none'),
  token_days_left: z.number().int().nullable().describe('Whole days until the token expires (negative once expired)'),
  token_expired: z.boolean(),
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
