/**
 * Standard Webhooks signing (https://www.standardwebhooks.com): a secret is `whsec_` + base64 of
 * random bytes; the HMAC-SHA256 key is those bytes; each delivery carries `webhook-id`,
 * `webhook-timestamp` (Unix seconds) and `webhook-signature`, a space-separated list of
 * `v1,<base64 HMAC of "id.timestamp.body">`, one per secret in use (two for 24 h after a rotation).
 */
import { createHmac, randomBytes } from 'node:crypto'

export const SECRET_PREFIX = 'whsec_'
/** 32 random bytes: above the specification's 24-byte minimum. */
const SECRET_BYTES = 32

export function generateWebhookSecret (): string {
  return SECRET_PREFIX + randomBytes(SECRET_BYTES).toString('base64')
}

export function signature (secret: string, id: string, timestamp: string, body: string): string {
  const key = Buffer.from(secret.slice(SECRET_PREFIX.length), 'base64')
  return `v1,${createHmac('sha256', key).update(`${id}.${timestamp}.${body}`).digest('base64')}`
}

/** The three Standard Webhooks headers of one delivery, signed with every secret given. */
export function signedHeaders (secrets: readonly string[], id: string, timestampSeconds: number, body: string): Record<string, string> {
  const timestamp = String(timestampSeconds)
  return {
    'webhook-id': id,
    'webhook-timestamp': timestamp,
    'webhook-signature': secrets.map((s) => signature(s, id, timestamp, body)).join(' ')
  }
}
