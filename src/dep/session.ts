/**
 * The session manager (docs/apple-dep.md §1.2–§1.4): one `GET /session` at a time however many
 * callers need a token (single-flight), rotation from any answer's `X-ADM-Auth-Session` header, and
 * invalidation that only drops the token that actually failed, so a caller holding a stale token
 * cannot throw away the fresh one another caller just obtained. The session lifetime is unknown
 * (docs/apple-dep.md §6), so we never expire tokens on a timer: Apple's 401 tells us.
 */
import { DepAuthError, DepResponseError, DepTokenExpiredError, parseErrorCode, type DepEndpoint } from './errors.js'
import { sessionAuthorization } from './oauth.js'
import { errorFromResponse, parseBody } from './responses.js'
import { sessionResponseSchema } from './schemas.js'
import type { ServerToken } from './token.js'
import type { Transport } from './transport.js'
import type { DepClientEvent } from './options.js'

export const JSON_CONTENT_TYPE = 'application/json;charset=UTF8'
const SESSION_HEADER = 'x-adm-auth-session'

export interface SessionOptions {
  token: ServerToken
  baseUrl: URL
  transport: Transport
  userAgent: string
  protocolVersion: number
  now: () => number
  emit: (e: DepClientEvent) => void
}

export class SessionManager {
  private current?: string
  private inflight?: Promise<string>
  private expiryText?: string
  private expiryMs = Number.NaN

  constructor (private readonly opts: SessionOptions) {}

  /** Throws DepTokenExpiredError once the server token's `access_token_expiry` has passed. */
  assertTokenValid (endpoint: DepEndpoint): void {
    const { token, now } = this.opts
    if (this.isExpired(token, now())) {
      throw new DepTokenExpiredError(
        `${endpoint}: the DEP server token expired at ${token.access_token_expiry}; download a new token from Apple Business or School Manager`,
        { code: 'TOKEN_EXPIRED', endpoint }
      )
    }
  }

  /**
   * isTokenExpired's answer with the expiry parsed once per expiry string instead of before every
   * call to Apple; a token whose expiry changes is parsed again. Missing or unparsable: NaN, never expired.
   */
  private isExpired (token: ServerToken, now: number): boolean {
    if (token.access_token_expiry !== this.expiryText) {
      this.expiryText = token.access_token_expiry
      // String(undefined) does not parse: NaN, like any unparsable expiry.
      this.expiryMs = Date.parse(String(token.access_token_expiry))
    }
    return this.expiryMs <= now
  }

  /** The session token now in use, if any. */
  peek (): string | undefined {
    return this.current
  }

  /** A valid-looking session token; at most one `/session` call is in flight per client. */
  async get (): Promise<string> {
    if (this.current !== undefined) return this.current
    this.inflight ??= this.acquire().finally(() => { this.inflight = undefined })
    return await this.inflight
  }

  /** Forget `failed`, unless another caller already replaced it. */
  invalidate (failed: string): void {
    if (this.current === failed) this.current = undefined
  }

  /** Adopt a rotated token from a response header (names are already lower-case). */
  observe (headers: Record<string, string>): void {
    const rotated = headers[SESSION_HEADER]?.trim()
    if (rotated !== undefined && rotated !== '' && rotated !== this.current) {
      this.current = rotated
      this.opts.emit({ type: 'session', outcome: 'rotated' })
    }
  }

  private async acquire (): Promise<string> {
    try {
      this.assertTokenValid('session')
      const token = await this.requestSession()
      this.current = token
      this.opts.emit({ type: 'session', outcome: 'acquired' })
      return token
    } catch (err) {
      this.opts.emit({ type: 'session', outcome: 'failed' })
      throw err
    }
  }

  private async requestSession (): Promise<string> {
    const { token, baseUrl, transport, userAgent, protocolVersion, now } = this.opts
    const url = new URL(`${baseUrl.pathname.replace(/\/+$/, '')}/session`, baseUrl).href
    const res = await transport.exchange({
      endpoint: 'session',
      method: 'GET',
      path: '/session',
      retry: 'safe',
      headers: () => ({
        authorization: sessionAuthorization(token, url, { now: now() }),
        // depsim insists on this exact value even without a body (docs/apple-dep.md §1.2).
        'content-type': JSON_CONTENT_TYPE,
        'user-agent': userAgent,
        'x-server-protocol-version': String(protocolVersion)
      })
    })
    if (res.status === 200) {
      const { auth_session_token: session } = parseBody('session', res, sessionResponseSchema)
      if (session.trim() === '') {
        throw new DepResponseError('session: Apple answered an empty auth_session_token', { code: 'INVALID_RESPONSE', status: 200, endpoint: 'session' })
      }
      return session
    }
    if (res.status === 400 || res.status === 401 || res.status === 403) {
      // T_C_NOT_SIGNED / ACCESS_DENIED and other specific codes pass through; bare status words
      // (UNAUTHORIZED, FORBIDDEN) or empty bodies say no more than the status: an OAuth rejection.
      const code = parseErrorCode(res.body)
      const specific = code !== undefined && code !== 'UNAUTHORIZED' && code !== 'FORBIDDEN' ? code : 'OAUTH_REJECTED'
      throw new DepAuthError(`session: Apple refused the server token (${res.status} ${specific})`, { code: specific, status: res.status, endpoint: 'session' })
    }
    throw errorFromResponse('session', res, now())
  }
}
