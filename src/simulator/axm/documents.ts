/**
 * The AxM API's wire shapes as the simulator writes them (docs/apple-axm.md §2, §3, §6): JSON:API
 * documents with absolute links on the simulated host, ErrorResponse documents with a fresh id
 * per error and `status` as a string, and opaque base64 cursors over a fixed order.
 */
import { randomUUID } from 'node:crypto'
import type { FastifyReply, FastifyRequest } from 'fastify'

export interface ErrorSource { pointer?: string, parameter?: string }

export const TITLES: Record<number, string> = {
  400: 'A parameter has an invalid value',
  401: 'Authentication credentials are missing or invalid',
  403: 'Request not authorized',
  404: 'The specified resource doesn\'t exist',
  406: 'The Accept header is not supported',
  409: 'The request cannot be fulfilled because of the state of a resource',
  429: 'The request rate limit has been reached',
  500: 'An unexpected error occurred',
  503: 'The service is unavailable'
}

/** Default codes, App Store Connect style where Apple's AxM pages show none (docs/apple-axm.md §6). */
export const CODES: Record<number, string> = {
  400: 'PARAMETER_ERROR.INVALID',
  401: 'NOT_AUTHORIZED',
  403: 'FORBIDDEN_ERROR',
  404: 'NOT_FOUND',
  406: 'NOT_ACCEPTABLE',
  409: 'ENTITY_ERROR',
  429: 'RATE_LIMIT_EXCEEDED',
  500: 'UNEXPECTED_ERROR',
  503: 'SERVICE_UNAVAILABLE'
}

export function sendAxmError (reply: FastifyReply, status: number, detail: string, extra: { code?: string, source?: ErrorSource } = {}): FastifyReply {
  const error: Record<string, unknown> = {
    id: randomUUID(),
    status: String(status),
    code: extra.code ?? CODES[status] ?? 'UNEXPECTED_ERROR',
    title: TITLES[status] ?? 'An error occurred',
    detail
  }
  if (extra.source !== undefined) error.source = extra.source
  return reply.code(status).type('application/json').send({ errors: [error] })
}

export function notFound (reply: FastifyReply, type: string, id: string): FastifyReply {
  return sendAxmError(reply, 404, `There is no resource of type '${type}' with id '${id}'`)
}

export function sendDoc (reply: FastifyReply, body: unknown, status = 200): FastifyReply {
  return reply.code(status).type('application/json').send(body)
}

/** The simulated API host, as Apple's absolute links name theirs. */
export function origin (request: FastifyRequest): string {
  return `${request.protocol}://${request.host}`
}

/** Unpadded base64 of colon-separated numbers, like Apple's cursors (docs/apple-axm.md §3). */
export function encodeCursor (position: number, nowMs: number): string {
  return Buffer.from(`${position}:0:${nowMs}:${nowMs}:true:false:${nowMs}`).toString('base64url')
}

export function decodeCursor (cursor: string): number | undefined {
  const match = /^(\d+):0:\d+:\d+:true:false:\d+$/.exec(Buffer.from(cursor, 'base64url').toString('latin1'))
  return match === null ? undefined : Number(match[1])
}

export type Query = Record<string, string | undefined>

/** `limit` (default 100, at most 1000) and `cursor`, or the 400 Apple would answer. */
export function pageOf (reply: FastifyReply, query: Query, defaultLimit: number): { limit: number, position: number } | FastifyReply {
  const limit = query.limit === undefined ? defaultLimit : Number(query.limit)
  if (!Number.isSafeInteger(limit) || limit < 1 || limit > 1000) {
    return sendAxmError(reply, 400, 'The limit must be a whole number from 1 to 1000', { source: { parameter: 'limit' } })
  }
  const position = query.cursor === undefined ? 0 : decodeCursor(query.cursor)
  if (position === undefined) return sendAxmError(reply, 400, 'The cursor is not valid', { source: { parameter: 'cursor' } })
  return { limit, position }
}

/** `fields[type]` as a set, or the 400 Apple would answer for a name it does not know; undefined when absent. */
export function fieldsOf (reply: FastifyReply, query: Query, type: string, known: readonly string[]): Set<string> | undefined | FastifyReply {
  const parameter = `fields[${type}]`
  const value = query[parameter]
  if (value === undefined) return undefined
  const names = value.split(',')
  const bad = names.find((n) => !known.includes(n))
  if (bad !== undefined) return sendAxmError(reply, 400, `'${bad}' is not a valid field name`, { source: { parameter } })
  return new Set(names)
}

/** A list document: `links.next` and `meta.paging.nextCursor` only while more remain (docs/apple-axm.md §3). */
export function listDoc (self: string, data: unknown[], limit: number, next: number | undefined, nowMs: number): Record<string, unknown> {
  const links: Record<string, string> = { self }
  const paging: Record<string, unknown> = { limit }
  if (next !== undefined) {
    const cursor = encodeCursor(next, nowMs)
    const url = new URL(self)
    url.search = ''
    url.searchParams.set('cursor', cursor)
    links.next = url.href
    paging.nextCursor = cursor
  }
  return { data, links, meta: { paging } }
}

export function pick (attributes: Record<string, unknown>, fields: Set<string> | undefined): Record<string, unknown> {
  if (fields === undefined) return attributes
  return Object.fromEntries(Object.entries(attributes).filter(([k]) => fields.has(k)))
}
