/**
 * Pieces every DEP data route repeats: the `:server` parameter, the OpenAPI documentation block
 * (summary, description, tag, security) and the error responses, so each route file states only
 * what is particular to it.
 */
import { z } from 'zod'
import { DepApiError } from '../dep/errors.js'
import type { ProblemCode } from '../problem-codes.js'
import { httpProblem, problemResponses } from '../problems.js'
import type { RouteScope } from '../scopes.js'
import { SERVER_NAME_PATTERN } from './server-info.js'

/**
 * The `:server` path parameter of every route under /v1/servers/{server}; other params schemas
 * extend it. A name no server can have is refused here, before any lookup.
 */
export const serverParamsSchema = z.object({
  server: z.string().regex(SERVER_NAME_PATTERN, 'must be 1-63 lower-case letters, digits or dashes, starting with a letter or digit')
    .describe('The DEP server name (`default` on a single-token install)')
})

/** The sentence that ends every documented route's description: its scope, as the auth hook enforces it. */
export const SCOPE_TEXT: Record<RouteScope, string> = {
  none: 'No API key needed.',
  read: 'Needs an API key with the `read` scope (or higher).',
  write: 'Needs an API key with the `write` scope (or `admin`).',
  admin: 'Needs an API key with the `admin` scope.'
}
export const AUDIT_TEXT = 'Every call is written to the audit log.'

/**
 * Statuses any route that calls Apple can answer with, as src/api/error-mapping.ts maps Apple's
 * failures: 404 (unknown server, or Apple: not found), 409 (server token expired; Apple refused a
 * cursor), 502 (Apple failed), 503 (Apple answered 503 with Retry-After), 504 (timeout). Apple's
 * throttling is 429 with Retry-After, already among the statuses every authenticated route has.
 */
/** Where Swagger UI is served (the swagger-ui plugin mounts it; GET / redirects there). */
export const DOCS_PREFIX = '/docs'

export const UPSTREAM_STATUSES = [404, 409, 502, 503, 504] as const

/**
 * A route's OpenAPI operationId: one name, or, for a route registered for several methods (the
 * pass-through), one per method; a method without a name is left out of the document.
 */
export type OperationIds = Readonly<Partial<Record<string, string>>>
/**
 * Where a per-method map travels to the document (@fastify/swagger copies `x-` keys of a schema
 * onto the operation, and types `operationId` as a string); finishDocument turns it into ids.
 */
export const OPERATION_IDS_KEY = 'x-depgate-operation-ids'

export interface RouteDocs {
  operationId?: string
  [OPERATION_IDS_KEY]?: OperationIds
  summary: string
  description: string
  tags: string[]
  security: Array<Record<string, string[]>>
}

/**
 * Headers a route may declare it sends on success, beyond those every answer of its kind has
 * (the OpenAPI document lists them from this: plugins/external/openapi-headers.ts).
 */
export const SENT_HEADERS = ['Location', 'ETag', 'X-Depgate-Source', 'X-Depgate-Synced-At', 'X-Depgate-Total', 'X-Depgate-Next-Page-Token', 'Preference-Applied'] as const
export type SentHeader = typeof SENT_HEADERS[number]

/** For a route serving several methods: codes of its own `problems` that only these methods can answer. */
export type ProblemMethods = Readonly<Partial<Record<ProblemCode, readonly string[]>>>

export interface RouteSpec<S extends object> {
  /** Least scope a key needs (the auth hook enforces it; the docs say it). */
  scope: RouteScope
  /** The audit action; false opts a read-scope route with a body out of the audit log. */
  audit?: string | false
  /** False on the few routes that must answer however often they are called (health, metrics). */
  rateLimit?: false
  /** Media types the route answers with (see negotiation.ts); JSON when absent. */
  produces?: readonly string[]
  /** `format` query value → media type. */
  formats?: Readonly<Record<string, string>>
  /**
   * The codes this route raises itself (its file, or src/api code only it calls); those of the
   * shared mechanisms (auth, limits, inputs, Apple's failures) are added by src/api/problem-docs.ts.
   */
  problems?: readonly ProblemCode[]
  /** A several-method route's codes that only some of its methods answer (the document lists them on those only). */
  problemMethods?: ProblemMethods
  /**
   * A public route whose handler reads nothing that can fail unexpectedly (a constant, the metrics
   * registry, the built document; readiness catches its store check): no 500 is documented. Keyed
   * routes read the key's record, so they can always answer 500.
   */
  neverFails?: true
  /** Headers the route sets on success beyond those every answer has (documented from this, see openapi-headers.ts). */
  sends?: readonly SentHeader[]
  /** Stable, camelCase, verb first (listDevices, assignProfile): generated clients name their methods after it. */
  operationId: string | OperationIds
  tag: string
  summary: string
  /** What the route does; the scope and audit sentences are added here. */
  description: string
  /** params, querystring, body, response… */
  schema: S
}

/** The spec's settings the hooks and the document generator read, copied into the route's `config` as given. */
const CONFIG_KEYS = ['audit', 'rateLimit', 'produces', 'formats', 'sends', 'problems', 'problemMethods', 'neverFails'] as const

/** What defineRoute puts in a route's `config` (the hooks' declarations of auth, audit, rate limit, negotiation). */
export type RouteConfig = Pick<RouteSpec<object>, 'scope' | typeof CONFIG_KEYS[number]>

/**
 * A route's options from one statement of its scope: the `config` the auth, audit and rate-limit
 * hooks read, and the OpenAPI block (security, and the sentence saying what key it needs). A test
 * checks every documented route against the enforced scope, so the two cannot drift apart.
 */
export function defineRoute<S extends object> (spec: RouteSpec<S>): { config: RouteConfig, schema: S & RouteDocs } {
  const { scope, audit, operationId, tag, summary, description, schema } = spec
  const config: RouteConfig = { scope }
  for (const key of CONFIG_KEYS) {
    if (spec[key] !== undefined) Object.assign(config, { [key]: spec[key] })
  }
  const sentences = typeof audit === 'string' ? `${SCOPE_TEXT[scope]} ${AUDIT_TEXT}` : SCOPE_TEXT[scope]
  return {
    config,
    schema: {
      ...schema,
      ...(typeof operationId === 'string' ? { operationId } : { [OPERATION_IDS_KEY]: operationId }),
      summary,
      description: `${description}\n\n${sentences}`,
      tags: [tag],
      security: scope === 'none' ? [] : [{ bearerAuth: [] }]
    }
  }
}

/**
 * Awaits an Apple call and turns Apple's `appleCode` refusal (a thing that does not exist) into a
 * 404 problem with the route's own code and sentence; every other failure goes on to the mapping.
 */
export async function withNotFoundProblem<T> (call: Promise<T>, appleCode: string, code: ProblemCode, detail: string): Promise<T> {
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
