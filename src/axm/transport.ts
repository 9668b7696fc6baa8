/**
 * One HTTP exchange with Apple's AxM hosts, with the waiting Apple asks for: 429 and 503 are
 * retried after `Retry-After` (docs/apple-axm.md §6), other 5xx and network failures after a
 * doubling delay, all within one deadline per call. A POST is retried only on 429 (Apple did not
 * act on it) or when the connection was refused (nothing was sent), so an activity is never
 * created twice. Returns Apple's last answer, whatever its status.
 */
import { performance } from 'node:perf_hooks'
import type { Dispatcher } from 'undici'
import { parseRetryAfter } from '../dep/retry.js'
import { fetchText, type TextAnswer } from '../dep/text-answer.js'
import { AxmError, type AxmEndpoint } from './errors.js'
import type { AxmClientEvent } from './options.js'

export interface AxmRequest {
  endpoint: AxmEndpoint
  method: 'GET' | 'POST'
  url: URL
  headers: Record<string, string>
  body?: string
  signal?: AbortSignal
}

export interface TransportOptions {
  dispatcher: Dispatcher
  timeoutMs: number
  deadlineMs: number
  maxRetryAfterMs: number
  retryDelayMs: number
  now: () => number
  sleep: (ms: number, signal?: AbortSignal) => Promise<void>
  emit: (e: AxmClientEvent) => void
}

const RETRY_STATUSES = new Set([429, 500, 502, 503, 504])

export class AxmTransport {
  constructor (private readonly opts: TransportOptions) {}

  async exchange (req: AxmRequest): Promise<TextAnswer> {
    const { now, deadlineMs, maxRetryAfterMs, retryDelayMs } = this.opts
    const deadline = now() + deadlineMs
    for (let attempt = 0; ; attempt++) {
      req.signal?.throwIfAborted()
      const backoff = Math.min(maxRetryAfterMs, retryDelayMs * 2 ** attempt)
      const started = performance.now()
      let res: TextAnswer
      try {
        res = await this.once(req)
      } catch (err) {
        if (req.signal?.aborted === true) throw req.signal.reason
        this.opts.emit({ type: 'request', endpoint: req.endpoint, method: req.method, status: 0, durationMs: performance.now() - started })
        const code = String(Object(err).code ?? 'unknown')
        const unsent = code === 'ECONNREFUSED'
        if ((req.method === 'POST' && !unsent) || now() + backoff > deadline) {
          throw new AxmError(`${req.endpoint}: the request to Apple failed on the network (${code})`, { code: 'NETWORK_ERROR', endpoint: req.endpoint, cause: err })
        }
        await this.pause(req, 'NETWORK_ERROR', backoff)
        continue
      }
      this.opts.emit({ type: 'request', endpoint: req.endpoint, method: req.method, status: res.status, durationMs: performance.now() - started })
      if (!RETRY_STATUSES.has(res.status) || (req.method === 'POST' && res.status !== 429)) return res
      const retryAfter = parseRetryAfter(res.headers['retry-after'], now())
      const delay = retryAfter === undefined ? backoff : retryAfter * 1000
      if (delay > maxRetryAfterMs || now() + delay > deadline) return res
      await this.pause(req, `HTTP_${res.status}`, delay)
    }
    /* c8 ignore next - the loop above ends only by return or throw */
  }

  private async pause (req: AxmRequest, reason: string, delayMs: number): Promise<void> {
    this.opts.emit({ type: 'retry', endpoint: req.endpoint, reason, delayMs })
    await this.opts.sleep(delayMs, req.signal)
  }

  private once (req: AxmRequest): Promise<TextAnswer> {
    const { url } = req
    return fetchText(this.opts.dispatcher, {
      origin: url.origin,
      path: url.pathname + url.search,
      method: req.method,
      headers: req.headers,
      body: req.body,
      headersTimeout: this.opts.timeoutMs,
      bodyTimeout: this.opts.timeoutMs
    }, req.signal)
  }
}
