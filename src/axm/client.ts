/**
 * The Apple Business / School Manager API client (docs/apple-axm.md): one method per endpoint
 * depgate uses, JSON:API lists as async iterators of pages at the maximum page size, and every
 * call authenticated with the shared access token, refreshed once on a 401 (docs/apple-axm.md §1.4).
 */
import { Agent, type Dispatcher } from 'undici'
import type { z } from 'zod'
import { sleep as timerSleep } from '../dep/retry.js'
import { DEFAULT_USER_AGENT } from '../dep/user-agent.js'
import { readActivityLog, type ActivityLogRow } from './activity-log.js'
import { AssertionSigner } from './assertion.js'
import { AxmError, errorFromStatus, type AxmEndpoint } from './errors.js'
import { loadPrivateKey } from './keys.js'
import {
  DEFAULT_AUDIENCE, DEFAULT_MAX_ACTIVITY_SERIALS, DEFAULT_TOKEN_URL, MAX_ASSERTION_LIFETIME_SEC, MAX_PAGE_LIMIT,
  defaultBaseUrl, scopeOf, type AxmClientEvent, type AxmClientOptions, type AxmScope
} from './options.js'
import {
  activitySchema, appleCareSchema, linkageSchema, listSchema, mdmServerSchema, oneSchema, orgDeviceSchema,
  toActivity, toAppleCare, toMdmServer, toOrgDevice, type AppleCareCoverage, type DeviceActivity, type MdmServer, type OrgDevice
} from './schemas.js'
import { safeJson, TokenManager, type TokenState } from './token.js'
import { AxmTransport } from './transport.js'

export interface Page<T> {
  items: T[]
  /** Where the next page starts; absent on the last page. Opaque: store it to resume a walk. */
  nextCursor?: string
}

export interface PageOptions {
  /** Resume a walk where a page's `nextCursor` left it. */
  cursor?: string
  signal?: AbortSignal
}

export interface ActivityInput {
  action: 'assign' | 'unassign'
  /** The MDM server the devices join (assign) or leave (unassign, as Apple's example sends it). */
  mdmServerId: string
  serials: string[]
  signal?: AbortSignal
}

const ACTIVITY_TYPES = { assign: 'ASSIGN_DEVICES', unassign: 'UNASSIGN_DEVICES' } as const

export class AxmClient {
  readonly scope: AxmScope
  readonly clientId: string
  private readonly baseUrl: URL
  private readonly tokens: TokenManager
  private readonly transport: AxmTransport
  private readonly dispatcher: Dispatcher
  private readonly owned: boolean
  private readonly pageLimit: number
  private readonly maxActivitySerials: number
  private readonly userAgent = DEFAULT_USER_AGENT

  constructor (opts: AxmClientOptions) {
    const scope = scopeOf(opts.clientId)
    if (scope === undefined) {
      throw new AxmError('the client id must start with BUSINESSAPI. or SCHOOLAPI., as Apple Business or School Manager shows it', { code: 'INVALID_CLIENT', endpoint: 'token' })
    }
    this.scope = scope
    this.clientId = opts.clientId
    const now = opts.now ?? Date.now
    const hook = opts.onEvent
    const emit = (e: AxmClientEvent): void => {
      try { hook?.(e) } catch { /* a failing metrics hook must not fail a call to Apple */ }
    }
    this.baseUrl = new URL(opts.baseUrl ?? defaultBaseUrl(scope))
    this.pageLimit = Math.min(MAX_PAGE_LIMIT, opts.pageLimit ?? MAX_PAGE_LIMIT)
    this.maxActivitySerials = opts.maxActivitySerials ?? DEFAULT_MAX_ACTIVITY_SERIALS
    this.owned = opts.dispatcher === undefined
    const timeoutMs = opts.timeoutMs ?? 30_000
    // Several hosts (token, API, log downloads): an Agent, few connections per host (docs/apple-axm.md §7).
    this.dispatcher = opts.dispatcher ?? new Agent({ connections: 4, headersTimeout: timeoutMs, bodyTimeout: timeoutMs, connect: { timeout: 10_000 } })
    this.transport = new AxmTransport({
      dispatcher: this.dispatcher,
      timeoutMs,
      deadlineMs: opts.retryDeadlineMs ?? 120_000,
      maxRetryAfterMs: opts.maxRetryAfterMs ?? 60_000,
      retryDelayMs: opts.retryDelayMs ?? 1000,
      now,
      sleep: opts.sleep ?? timerSleep,
      emit
    })
    const signer = new AssertionSigner({
      clientId: opts.clientId,
      keyId: opts.keyId,
      key: loadPrivateKey(opts.privateKey),
      audience: opts.audience ?? DEFAULT_AUDIENCE,
      lifetimeSec: Math.min(MAX_ASSERTION_LIFETIME_SEC, opts.assertionLifetimeSec ?? MAX_ASSERTION_LIFETIME_SEC),
      renewAt: opts.assertionRenewAt ?? 0.9,
      now,
      emit
    })
    this.tokens = new TokenManager({
      clientId: opts.clientId,
      scope,
      tokenUrl: new URL(opts.tokenUrl ?? DEFAULT_TOKEN_URL),
      earlyRenewMs: (opts.tokenEarlyRenewSec ?? 300) * 1000,
      userAgent: this.userAgent,
      signer,
      transport: this.transport,
      now,
      emit
    })
  }

  /** When the current access token was obtained and expires; never the token. */
  tokenState (): TokenState {
    return this.tokens.state()
  }

  /** Obtains an access token now: proves the client id, key id and key work together. */
  async verify (): Promise<void> {
    await this.tokens.get()
  }

  /** Every device of the organisation, a page at a time (docs/apple-axm.md §2.1, §3). */
  orgDevicePages (opts: PageOptions = {}): AsyncGenerator<Page<OrgDevice>> {
    return this.pages('org_devices', '/v1/orgDevices', orgDeviceSchema, toOrgDevice, opts)
  }

  /** One device; a released device is still answered, with `releasedFromOrgDateTime` (docs/apple-axm.md §2.2). */
  async getOrgDevice (serial: string, signal?: AbortSignal): Promise<OrgDevice> {
    const doc = await this.getJson('org_device', this.url(`/v1/orgDevices/${encodeURIComponent(serial)}`), oneSchema(orgDeviceSchema), signal)
    return toOrgDevice(doc.data)
  }

  /** The id of the MDM server a device is assigned to, or null when it is unassigned (docs/apple-axm.md §2.4). */
  async getAssignedServerId (serial: string, signal?: AbortSignal): Promise<string | null> {
    const doc = await this.getJson('assigned_server', this.url(`/v1/orgDevices/${encodeURIComponent(serial)}/relationships/assignedServer`), linkageSchema, signal)
    return doc.data?.id ?? null
  }

  /** A device's AppleCare coverage records, empty when it has none (docs/apple-axm.md §2.9). */
  async getAppleCareCoverage (serial: string, signal?: AbortSignal): Promise<AppleCareCoverage[]> {
    return await this.collect(this.pages('applecare', `/v1/orgDevices/${encodeURIComponent(serial)}/appleCareCoverage`, appleCareSchema, toAppleCare, { signal }))
  }

  /** The organisation's MDM servers (docs/apple-axm.md §2.6). */
  async listMdmServers (signal?: AbortSignal): Promise<MdmServer[]> {
    return await this.collect(this.pages('mdm_servers', '/v1/mdmServers', mdmServerSchema, toMdmServer, { signal }))
  }

  /** The serials assigned to one MDM server, a page at a time (docs/apple-axm.md §2.7). */
  mdmServerSerialPages (serverId: string, opts: PageOptions = {}): AsyncGenerator<Page<string>> {
    return this.pages('mdm_server_devices', `/v1/mdmServers/${encodeURIComponent(serverId)}/relationships/devices`, orgDeviceSchema, (d) => d.id, opts)
  }

  async listMdmServerSerials (serverId: string, signal?: AbortSignal): Promise<string[]> {
    return await this.collect(this.mdmServerSerialPages(serverId, { signal }))
  }

  /**
   * Starts an assign or unassign activity (docs/apple-axm.md §5). At most `maxActivitySerials`
   * serials: callers batch. Never retried once sent, so it cannot run twice.
   */
  async createDeviceActivity (input: ActivityInput): Promise<DeviceActivity> {
    const { action, mdmServerId, serials, signal } = input
    if (serials.length === 0 || serials.length > this.maxActivitySerials) {
      throw new AxmError(`an activity carries from 1 to ${this.maxActivitySerials} serials, not ${serials.length}`, { code: 'TOO_MANY_SERIALS', endpoint: 'create_activity' })
    }
    const body = {
      data: {
        type: 'orgDeviceActivities',
        attributes: { activityType: ACTIVITY_TYPES[action] },
        relationships: {
          mdmServer: { data: { type: 'mdmServers', id: mdmServerId } },
          devices: { data: serials.map((id) => ({ type: 'orgDevices', id })) }
        }
      }
    }
    const res = await this.call('create_activity', 'POST', this.url('/v1/orgDeviceActivities'), JSON.stringify(body), signal)
    return toActivity(this.parse('create_activity', res.body, oneSchema(activitySchema), res.status).data)
  }

  /** An activity's state; Apple keeps them 30 days (docs/apple-axm.md §5.2). */
  async getDeviceActivity (id: string, signal?: AbortSignal): Promise<DeviceActivity> {
    const doc = await this.getJson('get_activity', this.url(`/v1/orgDeviceActivities/${encodeURIComponent(id)}`), oneSchema(activitySchema), signal)
    return toActivity(doc.data)
  }

  /**
   * The per-serial outcome of a completed activity, from its presigned `downloadUrl`
   * (docs/apple-axm.md §5.3). Sent without the access token: the link is for another host.
   */
  async getActivityLog (downloadUrl: string, signal?: AbortSignal): Promise<ActivityLogRow[]> {
    const res = await this.transport.exchange({ endpoint: 'activity_log', method: 'GET', url: new URL(downloadUrl), headers: { 'user-agent': this.userAgent }, signal })
    if (res.status !== 200) throw errorFromStatus('activity_log', res.status, res.body)
    return readActivityLog(res.body)
  }

  async close (): Promise<void> {
    if (this.owned) await this.dispatcher.close()
  }

  private url (path: string, query: Record<string, string | undefined> = {}): URL {
    const url = new URL(this.baseUrl.pathname.replace(/\/+$/, '') + path, this.baseUrl)
    for (const [key, value] of Object.entries(query)) if (value !== undefined) url.searchParams.set(key, value)
    return url
  }

  /**
   * A JSON:API list walked with our own query plus Apple's cursor (docs/apple-axm.md §3): Apple's
   * `links.next` drops `limit`, so the cursor is taken from `meta.paging.nextCursor`, or from
   * `links.next` when only that is given.
   */
  private async * pages<S extends z.ZodType, T> (endpoint: AxmEndpoint, path: string, item: S, map: (raw: z.infer<S>) => T, opts: PageOptions): AsyncGenerator<Page<T>> {
    let cursor = opts.cursor
    do {
      const doc = await this.getJson(endpoint, this.url(path, { limit: String(this.pageLimit), cursor }), listSchema(item), opts.signal)
      const next = doc.meta?.paging?.nextCursor ?? cursorOf(doc.links?.next)
      cursor = next ?? undefined
      const page: Page<T> = { items: doc.data.map(map) }
      if (cursor !== undefined) page.nextCursor = cursor
      yield page
    } while (cursor !== undefined)
  }

  private async collect<T> (pages: AsyncGenerator<Page<T>>): Promise<T[]> {
    const out: T[] = []
    for await (const page of pages) out.push(...page.items)
    return out
  }

  private async getJson<S extends z.ZodType> (endpoint: AxmEndpoint, url: URL, schema: S, signal?: AbortSignal): Promise<z.infer<S>> {
    const res = await this.call(endpoint, 'GET', url, undefined, signal)
    return this.parse(endpoint, res.body, schema, res.status)
  }

  private parse<S extends z.ZodType> (endpoint: AxmEndpoint, body: string, schema: S, status: number): z.infer<S> {
    const parsed = schema.safeParse(safeJson(body))
    if (!parsed.success) throw new AxmError(`${endpoint}: Apple answered ${status} with a body that is not the documented JSON`, { code: 'INVALID_RESPONSE', endpoint, status })
    return parsed.data
  }

  private async call (endpoint: AxmEndpoint, method: 'GET' | 'POST', url: URL, body: string | undefined, signal?: AbortSignal): Promise<{ status: number, body: string }> {
    const send = async (token: string): Promise<{ status: number, body: string, headers: Record<string, string> }> => {
      const headers: Record<string, string> = { authorization: `Bearer ${token}`, accept: 'application/json', 'user-agent': this.userAgent }
      if (body !== undefined) headers['content-type'] = 'application/json'
      return await this.transport.exchange({ endpoint, method, url, headers, body, signal })
    }
    const token = await this.tokens.get()
    let res = await send(token)
    // docs/apple-axm.md §1.4: a 401 means get a new token; a second 401 in a row is final.
    if (res.status === 401) {
      this.tokens.invalidate(token)
      res = await send(await this.tokens.get())
    }
    if (res.status >= 200 && res.status < 300) return res
    const retryAfter = Number(res.headers['retry-after'])
    throw errorFromStatus(endpoint, res.status, res.body, Number.isSafeInteger(retryAfter) ? retryAfter : undefined)
  }
}

function cursorOf (next: string | null | undefined): string | undefined {
  if (next === undefined || next === null) return undefined
  return new URL(next, 'https://apple.invalid').searchParams.get('cursor') ?? undefined
}
