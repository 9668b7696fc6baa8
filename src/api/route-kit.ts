/**
 * Pieces every DEP data route repeats: the `:server` parameter, the OpenAPI documentation block
 * (summary, description, tag, security) and the error responses, so each route file states only
 * what is particular to it.
 */
import { serializerCompiler as zodSerializerCompiler } from '@fastify/type-provider-zod'
import type { FastifyRouteSchemaDef } from 'fastify/types/schema.js'
import fastJson from 'fast-json-stringify'
import { z } from 'zod'
import { DepApiError } from '../dep/errors.js'
import { httpProblem, problemResponses } from '../problems.js'

export type Scope = 'read' | 'write' | 'admin'

/** The `:server` path parameter of every DEP route; other params schemas extend serverParamsSchema. */
export const serverParamsSchema = z.object({
  server: z.string().describe('The DEP server name (`default` on a single-token install)')
})

const SCOPE_TEXT: Record<Scope, string> = {
  read: 'Needs an API key with the `read` scope (or higher).',
  write: 'Needs an API key with the `write` scope (or `admin`). Every call is written to the audit log.',
  admin: 'Needs an API key with the `admin` scope. Every call is written to the audit log.'
}

/**
 * Statuses any route that calls Apple can answer with, as plugins/app/error-mapping.ts maps Apple's
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
export async function notFoundAs<T> (call: Promise<T>, appleCode: string, code: string, detail: string): Promise<T> {
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

/**
 * A route's `serializerCompiler` for hot reads: the 200 answer is written by fast-json-stringify,
 * compiled once from the JSON Schema of the route's zod schema (the one OpenAPI shows), instead of
 * a zod parse plus JSON.stringify per response (about 5 times the cost on the account detail).
 * Undeclared fields are dropped exactly as zod drops them: a `z.object` becomes
 * `additionalProperties: false`, a `z.looseObject` keeps them. Unlike zod it does not check the
 * value's types, so use it only where the value was already checked (the DEP client validates
 * Apple's answers) or built by depgate itself. Other statuses keep the zod serializer.
 */
export function fastSerializerCompiler<T> (route: FastifyRouteSchemaDef<T>): (data: unknown) => string {
  // Fastify types the compiler by the route's whole schema; what it is handed is one response schema, a zod type.
  const zodRoute = route as unknown as FastifyRouteSchemaDef<z.ZodType>
  if (String(route.httpStatus) !== '200') return zodSerializerCompiler(zodRoute)
  return fastJson(z.toJSONSchema(zodRoute.schema, { io: 'output', target: 'draft-7' }) as Parameters<typeof fastJson>[0])
}
