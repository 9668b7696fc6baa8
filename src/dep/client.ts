/**
 * DepClient: one typed method per Apple endpoint (docs/apple-dep.md §2) on top of the session manager
 * and the transport. No Fastify here: the gateway, the CLI and the tests all use it directly.
 */
import type { z } from 'zod'
import { DepApiError, type DepEndpoint, type DepError } from './errors.js'
import { mergeAssign, mergeDevices, runChunked } from './chunks.js'
import { drainPages, type DrainOptions } from './drain.js'
import {
  DEFAULT_BASE_URL, DEFAULT_BETA_PROTOCOL_VERSION, DEFAULT_CONNECTIONS, DEFAULT_MAX_PAGES, DEFAULT_PROTOCOL_VERSION,
  DEFAULT_TIMEOUTS, MAX_PAGE_LIMIT, type DepClientEvent, type DepClientOptions
} from './options.js'
import { validateProfile } from './profile-rules.js'
import { errorFromResponse, isSessionRejected, parseBody } from './responses.js'
import { retryPolicy } from './retry.js'
import * as s from './schemas.js'
import { JSON_CONTENT_TYPE, SessionManager } from './session.js'
import { Transport, type WireRequest, type WireResponse } from './transport.js'
import { DEFAULT_USER_AGENT } from './user-agent.js'

type Method = WireRequest['method']

interface CallSpec {
  endpoint: DepEndpoint
  method: Method
  path: string
  query?: Record<string, string>
  body?: string
  retry: WireRequest['retry']
  protocolVersion?: number
  signal?: AbortSignal
  /** Endpoint-specific reading of an error (Apple's 400/404 variants of "not found"). */
  mapError?: (err: DepError) => DepError
}

export interface PassthroughOptions {
  query?: Record<string, string>
  /** A string is sent verbatim, anything else as JSON. */
  body?: unknown
  /** Retry network errors, 429 and 5xx (default: only for GET and HEAD). */
  idempotent?: boolean
}

export interface PassthroughResponse { status: number, headers: Record<string, string>, body: string }

const json = (value: unknown): string => JSON.stringify(value)

function notFoundToApiError (code: string) {
  return (err: DepError): DepError => err.status === 404 || (err.status === 400 && err.code === code)
    ? new DepApiError(`${err.endpoint}: Apple answered ${err.status} ${code}`, { code, status: err.status, endpoint: err.endpoint })
    : err
}

function requireSerials (endpoint: DepEndpoint, serials: readonly string[]): void {
  if (serials.length === 0) {
    throw new DepApiError(`${endpoint}: no serial numbers given`, { code: 'DEVICE_ID_REQUIRED', status: 400, endpoint })
  }
}

export class DepClient {
  readonly baseUrl: string
  private readonly transport: Transport
  private readonly sessions: SessionManager
  private readonly userAgent: string
  private readonly protocolVersion: number
  private readonly betaProtocolVersion: number
  private readonly now: () => number
  /** Page maxima Apple advertises in /account `urls`, by URI. */
  private readonly pageMaxima = new Map<string, number>()

  constructor (opts: DepClientOptions) {
    const base = new URL(opts.baseUrl ?? DEFAULT_BASE_URL)
    if (base.protocol !== 'https:' && base.protocol !== 'http:') throw new TypeError('baseUrl must be an http(s) URL')
    this.baseUrl = base.href.replace(/\/+$/, '')
    this.userAgent = opts.userAgent ?? DEFAULT_USER_AGENT
    this.protocolVersion = opts.protocolVersion ?? DEFAULT_PROTOCOL_VERSION
    this.betaProtocolVersion = opts.betaProtocolVersion ?? DEFAULT_BETA_PROTOCOL_VERSION
    this.now = opts.now ?? Date.now
    const onEvent = opts.onEvent
    const emit = (e: DepClientEvent): void => {
      try {
        onEvent?.(e)
      } catch {
        // a broken metrics hook must never fail a call to Apple
      }
    }
    this.transport = new Transport({
      baseUrl: base,
      dispatcher: opts.dispatcher,
      connections: opts.connections ?? DEFAULT_CONNECTIONS,
      timeouts: { ...DEFAULT_TIMEOUTS, ...opts.timeouts },
      retry: retryPolicy(opts.retry),
      now: this.now,
      emit
    })
    this.sessions = new SessionManager({
      token: opts.token, baseUrl: base, transport: this.transport, userAgent: this.userAgent, protocolVersion: this.protocolVersion, now: this.now, emit
    })
  }

  async getAccount (): Promise<s.AccountDetail> {
    return (await this.getAccountAnswer()).account
  }

  /**
   * The account detail with Apple's JSON text of it. The schema keeps every field Apple sent, so
   * the checked text is the account: a gateway can answer it as is instead of serializing the
   * object again (10 % of depgate's instructions on `GET …/account`, callgrind).
   */
  async getAccountAnswer (): Promise<{ account: s.AccountDetail, json: string }> {
    const { value: account, json } = await this.callForText({ endpoint: 'account', method: 'GET', path: '/account', retry: 'safe' }, s.accountDetailSchema)
    for (const url of account.urls ?? []) {
      if (url.limit?.maximum !== undefined) this.pageMaxima.set(url.uri, url.limit.maximum)
    }
    return { account, json }
  }

  async fetchDevices (req: { cursor?: string, limit?: number } = {}, signal?: AbortSignal): Promise<s.DevicePage> {
    return await this.call({ endpoint: 'fetch_devices', method: 'POST', path: '/server/devices', body: json(req), retry: 'safe', signal }, s.devicePageSchema)
  }

  async syncDevices (req: { cursor: string, limit?: number }, signal?: AbortSignal): Promise<s.DevicePage> {
    return await this.call({ endpoint: 'sync_devices', method: 'POST', path: '/devices/sync', body: json(req), retry: 'safe', signal }, s.devicePageSchema)
  }

  drainFetch (opts: DrainOptions = {}): AsyncGenerator<s.DevicePage, void, undefined> {
    const limit = opts.limit ?? this.pageMaxima.get('/server/devices') ?? MAX_PAGE_LIMIT
    return drainPages('fetch_devices', async (cursor) => await this.fetchDevices({ cursor, limit }, opts.signal), this.drainOptions(opts))
  }

  drainSync (opts: DrainOptions & { cursor: string }): AsyncGenerator<s.DevicePage, void, undefined> {
    const limit = opts.limit ?? this.pageMaxima.get('/devices/sync') ?? MAX_PAGE_LIMIT
    return drainPages('sync_devices', async (cursor) => await this.syncDevices({ cursor, limit }, opts.signal), { ...this.drainOptions(opts), cursor: opts.cursor })
  }

  async getDeviceDetails (serials: readonly string[]): Promise<Record<string, s.DeviceDetail>> {
    requireSerials('device_details', serials)
    const merged = await runChunked(serials, async (devices) => await this.call(
      { endpoint: 'device_details', method: 'POST', path: '/devices', body: json({ devices }), retry: 'safe' }, s.deviceDetailsResponseSchema
    ), mergeDevices, { devices: {} })
    return merged.devices
  }

  /** Irreversible at Apple, hence never retried once the request may have been sent. */
  async disownDevices (serials: readonly string[]): Promise<Record<string, s.DeviceStatus>> {
    requireSerials('disown_devices', serials)
    const merged = await runChunked(serials, async (devices) => await this.call(
      { endpoint: 'disown_devices', method: 'POST', path: '/devices/disown', body: json({ devices }), retry: 'unsent-only' }, s.deviceStatusResponseSchema
    ), mergeDevices, { devices: {} })
    return merged.devices
  }

  /** Checked locally against Apple's rules first; never retried once sent (a retry could define it twice). */
  async defineProfile (profile: s.ProfileInput): Promise<s.DefineProfileResult> {
    const violation = validateProfile(profile)
    if (violation !== undefined) {
      throw new DepApiError(`define_profile: ${violation.message}`, { code: violation.code, status: 400, endpoint: 'define_profile' })
    }
    return await this.call({ endpoint: 'define_profile', method: 'POST', path: '/profile', body: json(profile), retry: 'unsent-only' }, s.defineProfileResultSchema)
  }

  async getProfile (uuid: string): Promise<s.Profile> {
    return await this.call({
      endpoint: 'get_profile', method: 'GET', path: '/profile', query: { profile_uuid: uuid }, retry: 'safe', mapError: notFoundToApiError('NOT_FOUND')
    }, s.profileSchema)
  }

  /** Chunks of ≤ 1000 serials (Apple's advice); `retry_after_seconds` is the longest any chunk asked for. */
  async assignProfile (uuid: string, serials: readonly string[]): Promise<s.AssignProfileResult> {
    requireSerials('assign_profile', serials)
    return await runChunked<s.AssignProfileResult, s.AssignProfileResult>(serials, async (devices) => await this.call(
      { endpoint: 'assign_profile', method: 'POST', path: '/profile/devices', body: json({ profile_uuid: uuid, devices }), retry: 'safe' }, s.assignProfileResultSchema
    ), mergeAssign, { profile_uuid: uuid, devices: {} })
  }

  async removeProfile (serials: readonly string[], uuid?: string): Promise<s.RemoveProfileResult> {
    requireSerials('remove_profile', serials)
    return await runChunked(serials, async (devices) => await this.call(
      { endpoint: 'remove_profile', method: 'DELETE', path: '/profile/devices', body: json({ devices, profile_uuid: uuid }), retry: 'safe' }, s.deviceStatusResponseSchema
    ), mergeDevices, { devices: {} })
  }

  async activationLock (req: { device: string, escrow_key?: string, lost_message?: string }): Promise<s.ActivationLockResult> {
    return await this.call({ endpoint: 'activation_lock', method: 'POST', path: '/device/activationlock', body: json(req), retry: 'unsent-only' }, s.activationLockResultSchema)
  }

  async getReplacementDetails (serial: string): Promise<s.ReplacementDetails> {
    return await this.call({
      endpoint: 'replacement_details', method: 'GET', path: '/device/replacementDetails', query: { device: serial }, retry: 'safe', mapError: notFoundToApiError('DEVICE_NOT_FOUND')
    }, s.replacementDetailsSchema)
  }

  async getBetaEnrollmentTokens (): Promise<s.BetaEnrollmentTokens> {
    return await this.call({
      endpoint: 'beta_enrollment_tokens', method: 'GET', path: '/os-beta-enrollment/tokens', retry: 'safe', protocolVersion: this.betaProtocolVersion
    }, s.betaEnrollmentTokensSchema)
  }

  async setAdeProfile (url: string): Promise<void> {
    await this.call({ endpoint: 'ade_profile_set', method: 'POST', path: '/account-driven-enrollment/profile', body: json({ mdm_service_discovery_url: url }), retry: 'safe' })
  }

  async getAdeProfile (): Promise<s.AdeProfile> {
    return await this.call({ endpoint: 'ade_profile_get', method: 'GET', path: '/account-driven-enrollment/profile', retry: 'safe' }, s.adeProfileSchema)
  }

  async deleteAdeProfile (): Promise<void> {
    await this.call({ endpoint: 'ade_profile_delete', method: 'DELETE', path: '/account-driven-enrollment/profile', retry: 'safe' })
  }

  /**
   * Authenticated pass-through: Apple's final answer whatever its status (after the one
   * re-authentication and, when idempotent, retries). Throws only when no answer is possible
   * (expired server token, `/session` refused, transport failure). The session header is removed.
   */
  async request (method: Method, path: string, opts: PassthroughOptions = {}): Promise<PassthroughResponse> {
    if (!path.startsWith('/')) throw new TypeError('path must start with "/"')
    const idempotent = opts.idempotent ?? (method === 'GET' || method === 'HEAD')
    const body = opts.body === undefined ? undefined : typeof opts.body === 'string' ? opts.body : json(opts.body)
    const res = await this.send({ endpoint: 'passthrough', method, path, query: opts.query, body, retry: idempotent ? 'safe' : 'unsent-only' })
    const { 'x-adm-auth-session': _session, ...headers } = res.headers
    return { status: res.status, headers, body: res.body }
  }

  async close (): Promise<void> {
    await this.transport.close()
  }

  private drainOptions (opts: DrainOptions): { cursor: string | undefined, maxPages: number, signal?: AbortSignal } {
    return { cursor: opts.cursor, maxPages: opts.maxPages ?? DEFAULT_MAX_PAGES, signal: opts.signal }
  }

  private async call (spec: CallSpec): Promise<void>
  private async call<S extends z.ZodType> (spec: CallSpec, schema: S): Promise<z.output<S>>
  private async call<S extends z.ZodType> (spec: CallSpec, schema?: S): Promise<z.output<S> | undefined> {
    const res = await this.send(spec)
    if (res.status >= 200 && res.status < 300) return schema === undefined ? undefined : parseBody(spec.endpoint, res, schema)
    throw this.failure(spec, res)
  }

  /** call(), keeping the text of Apple's 2xx answer next to its checked value. */
  private async callForText<S extends z.ZodType> (spec: CallSpec, schema: S): Promise<{ value: z.output<S>, json: string }> {
    const res = await this.send(spec)
    if (res.status >= 200 && res.status < 300) return { value: parseBody(spec.endpoint, res, schema), json: res.body }
    throw this.failure(spec, res)
  }

  private failure (spec: CallSpec, res: WireResponse): DepError {
    const err = errorFromResponse(spec.endpoint, res, this.now())
    return spec.mapError?.(err) ?? err
  }

  /** One request with a session, re-authenticating once on 401 / 403 FORBIDDEN (docs/apple-dep.md §1.4). */
  private async send (spec: CallSpec): Promise<WireResponse> {
    this.sessions.assertTokenValid(spec.endpoint)
    const first = await this.attempt(spec, await this.sessions.get())
    if (!isSessionRejected(first.res)) return first.res
    this.sessions.invalidate(first.sent)
    return (await this.attempt(spec, await this.sessions.get())).res
  }

  private async attempt (spec: CallSpec, session: string): Promise<{ res: WireResponse, sent: string }> {
    let sent = session
    const query = spec.query === undefined ? '' : `?${new URLSearchParams(spec.query).toString()}`
    const res = await this.transport.exchange({
      endpoint: spec.endpoint,
      method: spec.method,
      path: spec.path + query,
      body: spec.body,
      retry: spec.retry,
      signal: spec.signal,
      observe: (headers) => this.sessions.observe(headers),
      headers: () => {
        // A rotated token from a previous attempt's answer wins over the one we started with.
        sent = this.sessions.peek() ?? session
        return {
          'user-agent': this.userAgent,
          'x-server-protocol-version': String(spec.protocolVersion ?? this.protocolVersion),
          'x-adm-auth-session': sent,
          accept: JSON_CONTENT_TYPE,
          ...(spec.body === undefined ? {} : { 'content-type': JSON_CONTENT_TYPE })
        }
      }
    })
    return { res, sent }
  }
}
