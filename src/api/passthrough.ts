/**
 * Rules of the authenticated pass-through to Apple (`…/apple/*`): which paths may be reached,
 * and which headers may come back. Nothing from the caller's headers is ever forwarded (only
 * the method, path, query and body), so the caller's Authorization cannot reach Apple; on the way
 * back, hop-by-hop and credential headers are dropped so Apple's session token never leaves.
 */
import { z } from 'zod'
import { SECURITY_HEADERS } from '../security-headers.js'
import { serverParamsSchema } from './route-kit.js'

// No PATCH: Apple's DEP API has none (docs/apple-dep.md), so a PATCH answers depgate's 405 like OPTIONS.
export const PASSTHROUGH_METHODS = ['GET', 'HEAD', 'POST', 'PUT', 'DELETE'] as const
export type PassthroughMethod = typeof PASSTHROUGH_METHODS[number]

/** One OpenAPI operation per forwarded method (appleGet, applePost…); the others answer 405 and are not documented. */
export const PASSTHROUGH_OPERATION_IDS: Readonly<Record<PassthroughMethod, string>> = Object.fromEntries(
  PASSTHROUGH_METHODS.map((m) => [m, `apple${m[0]}${m.slice(1).toLowerCase()}`])
) as Record<PassthroughMethod, string>

/**
 * Hop-by-hop (RFC 9110 §7.6.1), recomputed by us (length, date), credentials, or set by depgate on
 * every answer of its own (src/app.ts, plugins/app/security-headers.ts, plugins/app/rate-limit.ts):
 * those say what this answer is to the caller (its request id, its rate limit, that no cache keeps
 * it), so Apple's same-named headers, about Apple's answer to depgate, must not replace them.
 */
const DROPPED_RESPONSE_HEADERS = new Set([
  'connection', 'keep-alive', 'proxy-authenticate', 'proxy-authorization', 'proxy-connection', 'te', 'trailer',
  'transfer-encoding', 'upgrade', 'content-length', 'date', 'authorization', 'x-adm-auth-session', 'set-cookie', 'www-authenticate',
  'x-request-id', 'ratelimit', 'ratelimit-policy', ...Object.keys(SECURITY_HEADERS)
])

export function forwardableHeaders (headers: Record<string, string>): Record<string, string> {
  const out: Record<string, string> = {}
  for (const [name, value] of Object.entries(headers)) {
    const lower = name.toLowerCase()
    if (!DROPPED_RESPONSE_HEADERS.has(lower)) out[lower] = value
  }
  return out
}

/** Path segments of Apple's API: letters, digits and `-_.~`, no empty, `.` or `..` segment. */
const PATH = /^(?:\/[A-Za-z0-9_~-][A-Za-z0-9._~-]*)+$/

/**
 * The Apple path for the wildcard, or a reason to refuse it. `/session` is refused: it is
 * OAuth-signed by depgate alone and its answer is a session token.
 */
export function applePath (wildcard: string): { path: string } | { refused: string } {
  const path = `/${wildcard}`
  if (!PATH.test(path) || path.split('/').some((s) => s === '..')) {
    return { refused: 'The Apple path may contain only letters, digits and -_.~ between slashes, e.g. account or devices/sync.' }
  }
  if (/^\/session(\/|$)/i.test(path)) return { refused: 'The /session endpoint is depgate\'s own business and cannot be called through the pass-through.' }
  return { path }
}

export const passthroughParamsSchema = serverParamsSchema.extend({
  '*': z.string().describe('The Apple path without its leading slash, e.g. `account`, `profile`, `devices/sync`')
})

/**
 * The pass-through's query: open (a loose object, which strict-input.ts leaves open), because it is
 * Apple's and forwarded unread, so depgate cannot know which names are right.
 */
export const passthroughQuerySchema = z.looseObject({})
