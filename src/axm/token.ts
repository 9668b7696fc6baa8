/**
 * The access token (docs/apple-axm.md §1.3–§1.6): one token request at a time however many callers
 * need a token (single flight: Apple answers token churn with 400), kept until shortly before
 * `expires_in` runs out, and dropped when an API call answers 401, but only if it is still the
 * token that failed, so a slow caller cannot throw away the one another caller just obtained.
 */
import type { AssertionSigner } from './assertion.js'
import { AxmError, errorFromStatus } from './errors.js'
import type { AxmClientEvent, AxmScope } from './options.js'
import { tokenSchema } from './schemas.js'
import type { AxmTransport } from './transport.js'

export interface TokenOptions {
  clientId: string
  scope: AxmScope
  tokenUrl: URL
  earlyRenewMs: number
  userAgent: string
  signer: AssertionSigner
  transport: AxmTransport
  now: () => number
  emit: (e: AxmClientEvent) => void
}

/** What may be shown about the token: times only, never the token. */
export interface TokenState {
  /** ms epoch of the last token obtained, undefined before the first. */
  acquiredAt?: number
  /** ms epoch when that token expires at Apple. */
  expiresAt?: number
}

export class TokenManager {
  private current?: { token: string, renewAtMs: number }
  private inflight?: Promise<string>
  private readonly info: TokenState = {}

  constructor (private readonly opts: TokenOptions) {}

  state (): TokenState {
    return { ...this.info }
  }

  async get (): Promise<string> {
    if (this.current !== undefined && this.opts.now() < this.current.renewAtMs) return this.current.token
    this.inflight ??= this.acquire().finally(() => { this.inflight = undefined })
    return await this.inflight
  }

  invalidate (failed: string): void {
    if (this.current?.token === failed) this.current = undefined
  }

  private async acquire (): Promise<string> {
    try {
      const token = await this.request()
      this.opts.emit({ type: 'token', outcome: 'acquired' })
      return token
    } catch (err) {
      this.opts.emit({ type: 'token', outcome: 'failed' })
      throw err
    }
  }

  private async request (): Promise<string> {
    const { clientId, scope, tokenUrl, signer, transport, now, userAgent } = this.opts
    const form = new URLSearchParams({
      grant_type: 'client_credentials',
      client_id: clientId,
      client_assertion_type: 'urn:ietf:params:oauth:client-assertion-type:jwt-bearer',
      client_assertion: await signer.get(),
      scope
    })
    const res = await transport.exchange({
      endpoint: 'token',
      method: 'POST',
      url: tokenUrl,
      headers: { 'content-type': 'application/x-www-form-urlencoded', accept: 'application/json', 'user-agent': userAgent },
      body: form.toString()
    })
    if (res.status === 400 || res.status === 401) {
      // RFC 6749 §5.2: `{"error": "invalid_client"}`; Apple sends no description (docs/apple-axm.md §1.5).
      const error = oauthError(res.body)
      throw new AxmError(`token: Apple refused the API account's credentials (${res.status} ${error}); check the client id, key id and private key`, { code: 'INVALID_CLIENT', endpoint: 'token', status: res.status })
    }
    if (res.status !== 200) throw errorFromStatus('token', res.status, res.body)
    const parsed = tokenSchema.safeParse(safeJson(res.body))
    if (!parsed.success) throw new AxmError('token: Apple answered 200 without an access token', { code: 'INVALID_RESPONSE', endpoint: 'token', status: 200 })
    const acquiredAt = now()
    const expiresAt = acquiredAt + parsed.data.expires_in * 1000
    this.current = { token: parsed.data.access_token, renewAtMs: Math.max(acquiredAt, expiresAt - this.opts.earlyRenewMs) }
    this.info.acquiredAt = acquiredAt
    this.info.expiresAt = expiresAt
    return parsed.data.access_token
  }
}

export function safeJson (body: string): unknown {
  try {
    return JSON.parse(body)
  } catch {
    return undefined
  }
}

function oauthError (body: string): string {
  const error: unknown = Object(safeJson(body)).error
  return typeof error === 'string' && /^[a-z_]{1,64}$/.test(error) ? error : 'no error code'
}
