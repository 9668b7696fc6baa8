/**
 * Parsing of a decrypted DEP server token (docs/apple-dep.md §1.1): either the bare JSON, or the MIME text
 * Apple's `.p7m` decrypts to, with the JSON between `-----BEGIN MESSAGE-----` and
 * `-----END MESSAGE-----`. Errors never quote the input: it is full of secrets.
 */
import { createHash } from 'node:crypto'
import { z } from 'zod'
import type { ServerToken } from '../dep/token.js'
import { TokenError } from './errors.js'
import { unwrapTokenText } from './token-text.js'

const oauthValue = z.string().trim().min(1, 'is required').max(4096, 'is too long')

export const serverTokenSchema = z.object({
  consumer_key: oauthValue.describe('OAuth consumer key from the decrypted token (CK_…)'),
  consumer_secret: oauthValue.describe('OAuth consumer secret (CS_…); stored, never returned'),
  access_token: oauthValue.describe('OAuth access token (AT_…); stored, never returned'),
  access_secret: oauthValue.describe('OAuth access secret (AS_…); stored, never returned'),
  access_token_expiry: z.string().refine((v) => Number.isFinite(Date.parse(v)), 'must be an ISO-8601 date')
    .optional().describe('When Apple stops accepting this token (ISO-8601 UTC)')
}).meta({
  id: 'ServerToken',
  description: 'The decrypted server token downloaded from Apple Business Manager or Apple School Manager.'
})

export class ServerTokenError extends Error {
  constructor (message: string) {
    super(message)
    this.name = 'ServerTokenError'
  }
}

/** Turns the text of a decrypted token file into a ServerToken, or throws a ServerTokenError saying what is wrong. */
export function parseServerToken (text: string): ServerToken {
  let json: unknown
  try {
    // The same unwrapping as a freshly decrypted .p7m: MIME headers and the MESSAGE wrapper go.
    json = JSON.parse(unwrapTokenText(text))
  } catch (err) {
    if (err instanceof TokenError) throw new ServerTokenError(err.message)
    throw new ServerTokenError('the token is neither JSON nor Apple\'s decrypted MIME text (is it still the encrypted .p7m?)')
  }
  return validateServerToken(json)
}

/** Validates an already-parsed token object. */
export function validateServerToken (value: unknown): ServerToken {
  const parsed = serverTokenSchema.safeParse(value)
  if (!parsed.success) {
    const issue = parsed.error.issues[0]
    const field = issue.path.length > 0 ? issue.path.join('.') : 'token'
    throw new ServerTokenError(`the token's ${field} ${issue.message === 'Invalid input: expected string, received undefined' ? 'is required' : issue.message}`)
  }
  const t = parsed.data
  const token: ServerToken = {
    consumer_key: t.consumer_key,
    consumer_secret: t.consumer_secret,
    access_token: t.access_token,
    access_secret: t.access_secret
  }
  if (t.access_token_expiry !== undefined) token.access_token_expiry = new Date(t.access_token_expiry).toISOString()
  return token
}

/** A short, non-reversible label for a token, safe to show and log: tells two tokens apart without revealing them. */
export function tokenFingerprint (token: Pick<ServerToken, 'consumer_key'>): string {
  return `sha256:${createHash('sha256').update(token.consumer_key).digest('hex').slice(0, 12)}`
}
