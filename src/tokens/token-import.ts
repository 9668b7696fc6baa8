/**
 * Accepting a server token for a DEP server, the safe way: decrypt the `.p7m` with the
 * server's staged key pair (a renewal in progress) or its current one, refuse a token of another
 * Apple MDM server unless forced, try it against Apple (`/session` + `/account`) before anything
 * is stored, and only then store it, promoting the staged key if that is the one that opened it.
 * No Fastify here: the HTTP route and `depgate token import` share it.
 */
import { DepTransportError, DepUpstreamError } from '../dep/errors.js'
import type { AccountDetail } from '../dep/schemas.js'
import type { ServerToken } from '../dep/token.js'
import type { AccountIdentity, ServerKeys } from '../store/servers.js'
import { TokenError } from './errors.js'
import { decryptP7m } from './p7m.js'
import { extractTokenJson } from './token-text.js'

export type TokenImportCode = 'NO_KEY_PAIR' | 'CONSUMER_KEY_MISMATCH' | 'TOKEN_EXPIRED' | 'TOKEN_VERIFY_FAILED' | 'TOKEN_VERIFY_UNAVAILABLE'

/**
 * How a caller spells the two overrides: the API's query parameters (`force=true`, `verify=false`)
 * or the CLI's options (`--force`, `--no-verify`). The advice is written once, here; each caller
 * names its own switches, so nobody is told to type the other interface's syntax.
 */
export interface ImportSwitches {
  force: string
  skipVerify: string
}

/** Refusals that are about the token's fit, not its file format (those are TokenErrors). */
export class TokenImportError extends Error {
  readonly #advice: ((switches: ImportSwitches) => string) | undefined

  /** `message` says what is wrong; `advice`, when an override exists, says how to use it. */
  constructor (readonly code: TokenImportCode, message: string, opts: { cause?: unknown, advice?: (switches: ImportSwitches) => string } = {}) {
    super(message, { cause: opts.cause })
    this.name = 'TokenImportError'
    this.#advice = opts.advice
  }

  /** The message with the override named as the caller's users type it. */
  explain (switches: ImportSwitches): string {
    return this.#advice === undefined ? this.message : `${this.message}; ${this.#advice(switches)}`
  }
}

export interface DecryptedUpload {
  token: ServerToken
  /** Which key opened it: `staged` means the key pair must be promoted when the token is stored. */
  key: 'staged' | 'current'
}

/** Tries the staged key first (a renewal after POST …/certificate), then the current one. */
export function decryptWithServerKeys (p7m: Buffer | string, keys: ServerKeys, maxBytes: number): DecryptedUpload {
  const candidates = [['staged', keys.staged], ['current', keys.current]] as const
  if (keys.staged === undefined && keys.current === undefined) {
    throw new TokenImportError('NO_KEY_PAIR', 'this server has no key pair yet: POST its /certificate, upload that certificate to Apple Business/School Manager, then download the token again')
  }
  for (const [which, pair] of candidates) {
    if (pair === undefined) continue
    let text: string
    try {
      text = decryptP7m(p7m, pair.privateKeyPem, { maxBytes })
    } catch (err) {
      // Only a wrong key moves on to the next pair; a damaged or oversized file is damaged for both.
      if (err instanceof TokenError && err.code === 'P7M_WRONG_KEY') continue
      throw err
    }
    return { token: extractTokenJson(text), key: which }
  }
  throw new TokenError('P7M_WRONG_KEY', `the token was not encrypted to ${keys.staged !== undefined && keys.current !== undefined ? 'the staged or the current' : 'this server\'s'} certificate: was another certificate uploaded to Apple?`)
}

/** A different consumer key means a different Apple MDM server: refused unless forced. */
export function checkSameServer (stored: ServerToken | undefined, next: ServerToken, force: boolean): void {
  if (stored === undefined || force || stored.consumer_key === next.consumer_key) return
  throw new TokenImportError('CONSUMER_KEY_MISMATCH', 'this token belongs to a different Apple MDM server than the one stored under this name (its consumer key differs)', {
    advice: (s) => `check the name, or add ${s.force} to replace it on purpose`
  })
}

export function checkNotExpired (token: ServerToken, now: number): void {
  if (token.access_token_expiry !== undefined && Date.parse(token.access_token_expiry) <= now) {
    throw new TokenImportError('TOKEN_EXPIRED', `this token expired at ${token.access_token_expiry}; download a fresh one from Apple Business/School Manager`)
  }
}

/**
 * Calls `/account` (which takes a `/session` first) and keeps the identity worth showing. Apple
 * unreachable (network, timeout, 5xx) is not the token's fault, so it gets its own code: callers
 * say "try again" rather than blaming the file.
 */
export async function verifyToken (getAccount: () => Promise<AccountDetail>, now: () => Date): Promise<AccountIdentity> {
  let account: AccountDetail
  try {
    account = await getAccount()
  } catch (err) {
    const code = (err as { code?: string }).code ?? 'UNKNOWN'
    const skip = (s: ImportSwitches): string => `add ${s.skipVerify} to store it without this check`
    if (err instanceof DepTransportError || err instanceof DepUpstreamError) {
      throw new TokenImportError('TOKEN_VERIFY_UNAVAILABLE', `Apple could not be reached to check the token (${code})`, { cause: err, advice: (s) => `try again, or ${skip(s)}` })
    }
    throw new TokenImportError('TOKEN_VERIFY_FAILED', `Apple did not accept this token (${code})`, { cause: err, advice: skip })
  }
  return accountIdentity(account, now)
}

/** What depgate keeps of Apple's /account: whose token it is. */
export function accountIdentity (account: AccountDetail, now: () => Date): AccountIdentity {
  const identity: AccountIdentity = { checkedAt: now().toISOString() }
  if (account.server_uuid !== undefined) identity.serverUuid = account.server_uuid
  if (account.server_name !== undefined) identity.serverName = account.server_name
  if (account.org_name !== undefined) identity.orgName = account.org_name
  return identity
}
