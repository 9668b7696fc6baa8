/**
 * Pieces every DEP data route repeats: the `:server` parameter, the OpenAPI documentation block
 * (summary, description, tag, security) and the error responses, so each route file states only
 * what is particular to it.
 */
import { z } from 'zod'
import { DepApiError } from '../dep/errors.js'
import { httpProblem, problemResponses } from '../problems.js'
import type { Scope } from '../scopes.js'
import { SERVER_NAME_PATTERN } from './server-info.js'

/**
 * The `:server` path parameter of every route under /v1/servers/{server}; other params schemas
 * extend it. A name no server can have is refused here, before any lookup.
 */
export const serverParamsSchema = z.object({
  server: z.string().regex(SERVER_NAME_PATTERN, 'must be 1-63 lower-case letters, digits or dashes, starting with a letter or digit')
    .describe('The DEP server name (`default` on a single-token install)')
})

const SCOPE_TEXT: Record<Scope, string> = {
  read: 'Needs an API key with the `read` scope (or higher).',
  write: 'Needs an API key with the `write` scope (or `admin`). Every call is written to the audit log.',
  admin: 'Needs an API key with the `admin` scope. Every call is written to the audit log.'
}

/**
 * Statuses any route that calls Apple can answer with, as src/api/error-mapping.ts maps Apple's
 * failures: 404 (unknown server, or Apple: not found), 409 (server token expired; Apple refused a
 * cursor), 502 (Apple failed), 503 (Apple answered 503 with Retry-After), 504 (timeout). Apple's
 * throttling is 429 with Retry-After, already among the statuses every authenticated route has.
 */
export const UPSTREAM_STATUSES = [404, 409, 502, 503, 504] as const

export interface RouteDocs {
  summary: string
  description: string
  tags: string[]
  security: Array<Record<string, string[]>>
}

export function docs (tag: string, scope: Scope, summary: string, description: string): RouteDocs {
  return {
    summary,
    description: `${description}\n\n${SCOPE_TEXT[scope]}`,
    tags: [tag],
    security: [{ bearerAuth: [] }]
  }
}

/**
 * Awaits an Apple call and turns Apple's `appleCode` refusal (a thing that does not exist) into a
 * 404 problem with the route's own code and sentence; every other failure goes on to the mapping.
 */
export async function withNotFoundProblem<T> (call: Promise<T>, appleCode: string, code: string, detail: string): Promise<T> {
  try {
    return await call
  } catch (err) {
    if (err instanceof DepApiError && err.code === appleCode) throw httpProblem(404, code, detail, { cause: err })
    throw err
  }
}

/** The shared Problem for every error status a DEP route can answer with, plus `extra`. */
export function errorResponses (...extra: number[]) {
  return problemResponses(...UPSTREAM_STATUSES, ...extra)
}
