/**
 * RFC 9457 problem details: the one error shape every depgate response uses, with a stable `code`
 * a script can switch on. Routes throw `httpProblem(...)`; the error handler (the errors plugin)
 * turns it, and every other error, into `application/problem+json`.
 */
import { STATUS_CODES } from 'node:http'
import { z } from 'zod'
import { PROBLEM_CODE_LIST, type ProblemCode } from './problem-codes.js'

export const PROBLEM_CONTENT_TYPE = 'application/problem+json'

export const problemSchema = z.object({
  type: z.string().describe('A URI naming the kind of problem; stable, not meant to be fetched'),
  title: z.string().describe('The HTTP status phrase'),
  status: z.number().int().describe('The HTTP status code'),
  code: z.enum(PROBLEM_CODE_LIST).describe('Stable machine-readable code (Apple\'s own code when Apple gave one, e.g. T_C_NOT_SIGNED); each operation lists those it can answer per status. The README\'s "Error codes" table says what each means'),
  detail: z.string().describe('A sentence for the person reading the log: what went wrong and what to do'),
  instance: z.string().describe('The request path that produced this problem'),
  request_id: z.string().optional().describe('The request id, also in the X-Request-Id response header'),
  retry_after_seconds: z.number().int().optional().describe('When present, wait this long before trying again (also in Retry-After)'),
  errors: z.array(z.object({
    field: z.string().describe('Where the invalid value is, e.g. body.token.consumer_key'),
    message: z.string()
  })).optional().describe('Validation failures, one per field')
}).meta({
  id: 'Problem',
  description: 'An RFC 9457 problem details object (served as application/problem+json).',
  examples: [{
    type: 'urn:depgate:problem:server-not-found',
    title: 'Not Found',
    status: 404,
    code: 'SERVER_NOT_FOUND',
    detail: 'No DEP server named "paris" is configured.',
    instance: '/v1/servers/paris/devices',
    request_id: 'req-1'
  }]
})
export type Problem = z.infer<typeof problemSchema>

export interface ProblemOptions {
  /** Seconds to wait; sets `Retry-After` and `retry_after_seconds`. */
  retryAfterSeconds?: number
  errors?: Array<{ field: string, message: string }>
  headers?: Record<string, string>
  cause?: unknown
}

/** An error a route throws on purpose; its detail is shown to the caller as is, so it must never hold a secret. */
export class HttpProblem extends Error {
  readonly statusCode: number
  readonly code: ProblemCode
  readonly detail: string
  readonly retryAfterSeconds?: number
  readonly errors?: Array<{ field: string, message: string }>
  readonly headers: Record<string, string>

  constructor (status: number, code: ProblemCode, detail: string, opts: ProblemOptions = {}) {
    super(detail, opts.cause === undefined ? undefined : { cause: opts.cause })
    this.name = 'HttpProblem'
    this.statusCode = status
    this.code = code
    this.detail = detail
    this.headers = { ...opts.headers }
    if (opts.retryAfterSeconds !== undefined) {
      this.retryAfterSeconds = opts.retryAfterSeconds
      this.headers['retry-after'] = String(opts.retryAfterSeconds)
    }
    if (opts.errors !== undefined) this.errors = opts.errors
  }
}

/** `throw httpProblem(404, 'SERVER_NOT_FOUND', 'No DEP server named "x" is configured.')` */
export function httpProblem (status: number, code: ProblemCode, detail: string, opts?: ProblemOptions): HttpProblem {
  return new HttpProblem(status, code, detail, opts)
}

/** Typed by the catalog: a problem built by hand (src/server.ts) names a catalog code too. */
export function problemType (code: ProblemCode): string {
  return `urn:depgate:problem:${code.toLowerCase().replace(/_/g, '-')}`
}

export function statusTitle (status: number): string {
  return STATUS_CODES[status] ?? 'Error'
}

/** Builds the body of a problem; `instance` is the request path without its query (queries may carry cursors). */
export function toProblem (p: HttpProblem, instance: string, requestId?: string): Problem {
  const body: Problem = {
    type: problemType(p.code),
    title: statusTitle(p.statusCode),
    status: p.statusCode,
    code: p.code,
    detail: p.detail,
    instance: instance.split('?')[0]
  }
  if (requestId !== undefined) body.request_id = requestId
  if (p.retryAfterSeconds !== undefined) body.retry_after_seconds = p.retryAfterSeconds
  if (p.errors !== undefined) body.errors = p.errors
  return body
}

/** Statuses every authenticated route can answer with, besides its own (503: the database is not answering). */
export const AUTH_ERROR_STATUSES = [400, 401, 403, 429, 500, 503] as const

/**
 * Response schemas for a route's error statuses, all the shared Problem (a `$ref` in the spec):
 * `response: { 200: mySchema, ...problemResponses(404, 502) }`.
 */
export function problemResponses (...statuses: number[]): Record<number, typeof problemSchema> {
  const out: Record<number, typeof problemSchema> = {}
  for (const s of [...AUTH_ERROR_STATUSES, ...statuses]) out[s] = problemSchema
  return out
}
