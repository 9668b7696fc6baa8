/**
 * Token events (`token.expiring`, `token.expired`, `token.renewed`, `terms.not_signed`,
 * `terms.signed`) as webhook events. They are noticed in memory (src/servers/token-events.ts) by
 * every replica that looks (the daily expiry check runs on each), so each is keyed by the fact it
 * reports: one `token.expiring` per token and warning threshold (30, 14, 7, 1 days), one
 * `token.expired` and one `token.renewed` per token, one terms event of each kind per server and
 * day. `data` carries the token's fingerprint and expiry, never a secret.
 */
import { createHash } from 'node:crypto'
import type { TokenEvent } from '../api/server-info.js'
import { SECRET_PREFIX } from './signing.js'
import type { EventInput } from './types.js'

const WARN_DAYS = [1, 7, 14, 30] as const

function key (e: TokenEvent): string {
  const token = `${e.token_fingerprint}\0${String(e.token_expires_at)}`
  switch (e.type) {
    case 'token.expiring': return `${e.type}\0${e.server}\0${token}\0${String(WARN_DAYS.find((d) => Number(e.days_left) < d))}`
    case 'token.expired':
    case 'token.renewed': return `${e.type}\0${e.server}\0${token}`
    default: return `${e.type}\0${e.server}\0${e.at.slice(0, 10)}`
  }
}

export function tokenEventInput (e: TokenEvent): EventInput {
  const { type, at: _at, ...data } = e
  return { type, server: e.server, data, key: key(e) }
}

/**
 * The subscription DEPGATE_TOKEN_WEBHOOK_URL stands for: its id is derived from the URL, so every
 * start of every replica finds the same row; the configured secret signs (its bytes are the
 * HMAC key, as Standard Webhooks' `whsec_` + base64 says).
 */
export function tokenWebhookSubscription (hook: { url: string, secret: string }): { id: string, url: string, description: string, events: string[], servers: string[], secret: string } {
  return {
    id: createHash('sha256').update(`token-webhook\0${hook.url}`).digest('hex').slice(0, 12),
    url: hook.url,
    description: 'DEPGATE_TOKEN_WEBHOOK_URL (made at start)',
    events: ['token.expiring', 'token.expired', 'token.renewed', 'terms.not_signed', 'terms.signed'],
    servers: ['*'],
    secret: SECRET_PREFIX + Buffer.from(hook.secret, 'utf8').toString('base64')
  }
}
