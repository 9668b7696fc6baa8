/**
 * From the decrypted `.p7m` text to a validated ServerToken. The text is MIME (headers, blank
 * line) around `-----BEGIN MESSAGE-----` JSON `-----END MESSAGE-----` (docs/apple-dep.md §1.1). This is
 * stricter than server-token.ts's parser, which accepts hand-made tokens: a token fresh from Apple
 * must carry Apple's CK_/CS_/AT_/AS_ prefixes, and a mismatch means the wrong file or a damaged one.
 * Errors name the field and never quote a value: every value is a secret.
 */
import { z } from 'zod'
import type { ServerToken } from '../dep/token.js'
import { TokenError } from './errors.js'

const BEGIN = '-----BEGIN MESSAGE-----'
const END = '-----END MESSAGE-----'

const prefixed = (prefix: string) => z.string().startsWith(prefix).max(4096).refine((v) => v.length > prefix.length)

const appleTokenSchema = z.object({
  consumer_key: prefixed('CK_'),
  consumer_secret: prefixed('CS_'),
  access_token: prefixed('AT_'),
  access_secret: prefixed('AS_'),
  access_token_expiry: z.iso.datetime({ offset: true }).optional()
})

const EXPECTED: Record<string, string> = {
  consumer_key: 'a string starting with CK_',
  consumer_secret: 'a string starting with CS_',
  access_token: 'a string starting with AT_',
  access_secret: 'a string starting with AS_',
  access_token_expiry: 'an ISO-8601 date-time such as 2026-07-16T06:36:41Z'
}

/**
 * The JSON text exactly as Apple wrote it: MIME headers and the MESSAGE wrapper removed, nothing
 * re-serialised. This is what `openssl smime -decrypt` followed by stripping the wrapper gives.
 */
export function unwrapTokenText (decryptedText: string): string {
  let text = decryptedText.replace(/^\uFEFF/, '')
  const begin = text.indexOf(BEGIN)
  if (begin !== -1) {
    const end = text.indexOf(END, begin + BEGIN.length)
    if (end === -1) throw new TokenError('TOKEN_INVALID', `the token has "${BEGIN}" but no "${END}" (truncated?)`)
    return text.slice(begin + BEGIN.length, end).trim()
  }
  // No wrapper: still drop a MIME header block so a header-only difference does not break parsing.
  const headerEnd = /^[A-Za-z][A-Za-z0-9-]*:[^\n]*\r?\n(?:[^\n]*\r?\n)*?\r?\n/.exec(text)
  if (headerEnd !== null) text = text.slice(headerEnd[0].length)
  return text.trim()
}

export function extractTokenJson (decryptedText: string): ServerToken {
  let json: unknown
  try {
    json = JSON.parse(unwrapTokenText(decryptedText))
  } catch (err) {
    if (err instanceof TokenError) throw err
    // JSON.parse's own message quotes the input; say only what is wrong.
    throw new TokenError('TOKEN_INVALID', 'the decrypted token is not JSON')
  }
  if (typeof json !== 'object' || json === null || Array.isArray(json)) {
    throw new TokenError('TOKEN_INVALID', 'the decrypted token is not a JSON object')
  }
  const parsed = appleTokenSchema.safeParse(json)
  if (!parsed.success) {
    const field = String(parsed.error.issues[0].path[0])
    const what = (json as Record<string, unknown>)[field] === undefined ? 'is missing' : 'is malformed'
    throw new TokenError('TOKEN_INVALID', `the token's ${field} ${what}: expected ${EXPECTED[field]}`)
  }
  const { access_token_expiry: expiry, ...oauth } = parsed.data
  // In the one form depgate writes every time (UTC, milliseconds), as a token stored as JSON gets
  // (server-token.ts): Apple's text may carry an offset, and a .p7m and a JSON upload of the same
  // token must show the same expiry.
  return expiry === undefined ? oauth : { ...oauth, access_token_expiry: new Date(expiry).toISOString() }
}
