/**
 * One HTTP exchange with Apple, with timeouts and retries. Knows nothing about sessions or
 * endpoints' meaning: it returns Apple's final answer (any status) or throws DepTransportError
 * when no usable answer arrived. Which failures are retried depends on `retry`:
 * - `safe`: reads and idempotent writes; network errors, timeouts, 429 and 5xx are retried.
 * - `unsent-only`: requests that must not run twice (profile definition, disown, activation lock);
 *   only connect failures that prove nothing was sent are retried.
 */
import { performance } from 'node:perf_hooks'
import { Pool, type Dispatcher } from 'undici'
import { DepTransportError, type DepEndpoint } from './errors.js'
import { backoffDelay, parseRetryAfter, type RetryPolicy } from './retry.js'
import type { DepClientEvent } from './options.js'
import { fetchText, type TextAnswer } from './text-answer.js'

export interface WireRequest {
  endpoint: DepEndpoint
  method: 'GET' | 'POST' | 'PUT' | 'DELETE' | 'PATCH' | 'HEAD'
  /** Path below the base URL, with its query string. */
  path: string
  /** Built again for every attempt: a fresh OAuth nonce, the newest session token. */
  headers: () => Record<string, string>
  body?: string
  retry: 'safe' | 'unsent-only'
  /** Sees every answer's headers, also those a retry replaces (session rotation). */
  observe?: (headers: Record<string, string>) => void
  signal?: AbortSignal
}

export type WireResponse = TextAnswer

export interface TransportOptions {
  baseUrl: URL
  dispatcher?: Dispatcher
  connections: number
  timeouts: { connectMs: number, headersMs: number, bodyMs: number }
  retry: RetryPolicy
  now: () => number
  emit: (e: DepClientEvent) => void
}

const TIMEOUT_CODES = new Set(['UND_ERR_CONNECT_TIMEOUT', 'UND_ERR_HEADERS_TIMEOUT', 'UND_ERR_BODY_TIMEOUT'])
/** Failures that happen before a single byte of the request left this process. */
const UNSENT_CODES = new Set(['ECONNREFUSED', 'ENOTFOUND', 'EAI_AGAIN', 'EHOSTUNREACH', 'ENETUNREACH', 'UND_ERR_CONNECT_TIMEOUT'])
const RETRY_STATUSES = new Set([429, 500, 502, 503, 504])

/** undici's and Node's error codes (Node's happy-eyeballs AggregateError carries its first error's code). */
function errorCode (err: unknown): string | undefined {
  const code: unknown = Object(err).code
  return typeof code === 'string' ? code : undefined
}

export class Transport {
  private readonly dispatcher: Dispatcher
  private readonly owned: boolean
  private readonly origin: string
  private readonly prefix: string
  private closing?: Promise<void>

  constructor (private readonly opts: TransportOptions) {
    this.origin = opts.baseUrl.origin
    this.prefix = opts.baseUrl.pathname.replace(/\/+$/, '')
    this.owned = opts.dispatcher === undefined
    this.dispatcher = opts.dispatcher ?? new Pool(this.origin, {
      connections: opts.connections,
      keepAliveTimeout: 10_000,
      connect: { timeout: opts.timeouts.connectMs },
      headersTimeout: opts.timeouts.headersMs,
      bodyTimeout: opts.timeouts.bodyMs
    })
  }

  async exchange (req: WireRequest): Promise<WireResponse> {
    const { retry, now } = this.opts
    let res: WireResponse | undefined
    for (let attempt = 0; res === undefined; attempt++) {
      req.signal?.throwIfAborted()
      const started = performance.now()
      try {
        res = await this.once(req)
      } catch (err) {
        if (req.signal?.aborted === true) throw req.signal.reason
        const code = errorCode(err)
        const failure = code !== undefined && TIMEOUT_CODES.has(code) ? 'TIMEOUT' : 'NETWORK_ERROR'
        this.opts.emit({ type: 'request', endpoint: req.endpoint, method: req.method, status: 0, durationMs: performance.now() - started })
        const retriable = req.retry === 'safe' || (code !== undefined && UNSENT_CODES.has(code))
        if (!retriable || attempt >= retry.retries) {
          const what = failure === 'TIMEOUT' ? 'timed out' : 'failed on the network'
          throw new DepTransportError(`${req.endpoint}: the request to Apple ${what} (${code ?? 'unknown'})`, { code: failure, endpoint: req.endpoint, cause: err })
        }
        await this.pause(req, failure, backoffDelay(attempt, retry))
        continue
      }
      this.opts.emit({ type: 'request', endpoint: req.endpoint, method: req.method, status: res.status, durationMs: performance.now() - started })
      req.observe?.(res.headers)
      if (!RETRY_STATUSES.has(res.status) || req.retry !== 'safe' || attempt >= retry.retries) break
      const retryAfter = parseRetryAfter(res.headers['retry-after'], now())
      // Beyond the cap we hand the answer back at once: the caller turns it into DepThrottledError.
      if (retryAfter !== undefined && retryAfter * 1000 > retry.maxRetryAfterMs) break
      await this.pause(req, `HTTP_${res.status}`, retryAfter !== undefined ? retryAfter * 1000 : backoffDelay(attempt, retry))
      res = undefined
    }
    return res
  }

  /** Idempotent: the gateway may close a client from several shutdown paths. */
  async close (): Promise<void> {
    this.closing ??= this.owned ? this.dispatcher.close() : Promise.resolve()
    await this.closing
  }

  private async pause (req: WireRequest, reason: string, delayMs: number): Promise<void> {
    this.opts.emit({ type: 'retry', endpoint: req.endpoint, reason, delayMs })
    await this.opts.retry.sleep(delayMs, req.signal)
  }

  private once (req: WireRequest): Promise<WireResponse> {
    return fetchText(this.dispatcher, {
      origin: this.origin,
      path: this.prefix + req.path,
      method: req.method,
      headers: req.headers(),
      body: req.body,
      headersTimeout: this.opts.timeouts.headersMs,
      bodyTimeout: this.opts.timeouts.bodyMs
    }, req.signal)
  }
}
