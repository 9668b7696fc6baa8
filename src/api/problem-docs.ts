/**
 * The codes each operation can answer, in the OpenAPI document: per error status, the Problem
 * schema narrowed to those codes (a generated client gets a union it can switch on) and one example
 * body per code. Nothing here is a hand-kept list per route: the codes raised by shared mechanisms
 * follow from what the route declares (its scope, rate limit, media types, inputs, whether it calls
 * Apple), and the route's own codes from the `problems` of its defineRoute spec, which a test
 * checks against the codes its file raises (test/problem-codes.test.ts).
 */
import { PROBLEM_CODES, type ProblemCode, type ProblemCodeInfo } from '../problem-codes.js'
import { PROBLEM_CONTENT_TYPE, problemType, statusTitle } from '../problems.js'
import type { ProblemMethods, RouteConfig } from './route-kit.js'
import { noQuerySchema } from './strict-input.js'

/** The operation key the per-route transform leaves for the document transform (which removes it). */
export const PROBLEMS_KEY = 'x-depgate-problems'
/** Beside it, the codes only some methods answer (RouteConfig.problemMethods), for a route several operations share. */
export const PROBLEM_METHODS_KEY = 'x-depgate-problem-methods'

/** Any route: the request's own shape and depgate's state. */
const EVERY_ROUTE: readonly ProblemCode[] = ['BAD_REQUEST', 'UNKNOWN_PARAMETER', 'SHUTTING_DOWN']
/**
 * A route that needs an API key (plugins/app/auth.ts and its failure limit; the key lookup reads the
 * database). INSUFFICIENT_SCOPE is not among them: every key has at least `read`, so only a route
 * needing more can refuse a key for its scope.
 */
const KEYED: readonly ProblemCode[] = ['UNAUTHENTICATED', 'TOO_MANY_AUTH_FAILURES', 'DATABASE_UNAVAILABLE', 'INTERNAL']
/** A route with a JSON body (the content-type parser, the body limit, strict input). */
const WITH_BODY: readonly ProblemCode[] = ['MALFORMED_JSON', 'BODY_TOO_LARGE', 'UNSUPPORTED_MEDIA_TYPE', 'UNKNOWN_FIELD']
/**
 * A route that calls Apple: the server is looked up and its sealed token opened (src/servers/registry.ts),
 * then src/api/error-mapping.ts's answers, and Apple's codes that any endpoint can give. Endpoint-specific Apple codes (cursors, profile rules…) are in the route's
 * own `problems`.
 */
export const APPLE_CALL: readonly ProblemCode[] = [
  'SERVER_NOT_FOUND', 'SECRET_BOX_WRONG_KEY',
  'SERVER_TOKEN_EXPIRED', 'T_C_NOT_SIGNED', 'ACCESS_DENIED', 'OAUTH_REJECTED', 'UNAUTHORIZED', 'NOT_FOUND',
  'USER_AGENT_MISSING', 'USER_AGENT_INVALID', 'MALFORMED_REQUEST_BODY', 'UPSTREAM_REFUSED',
  'UPSTREAM_THROTTLED', 'UPSTREAM_TIMEOUT', 'UPSTREAM_UNREACHABLE', 'UPSTREAM_INVALID_RESPONSE', 'UPSTREAM_ERROR'
]

/** What of a route decides its codes: Fastify's route options as the swagger transform sees them. */
export interface ProblemRoute {
  config?: Partial<Pick<RouteConfig, 'scope' | 'rateLimit' | 'produces' | 'problems' | 'problemMethods' | 'neverFails'>>
  schema?: { body?: unknown, params?: unknown, querystring?: unknown, response?: Record<string | number, unknown> }
}

/**
 * Every code the route can answer. "Calls Apple" is read from its error responses: route-kit's
 * errorResponses() is how a route says so, and 504 (Apple's timeout) is a status nothing else answers.
 */
export function routeProblemCodes (route: ProblemRoute): ProblemCode[] {
  const { config = {}, schema = {} } = route
  const codes = new Set<ProblemCode>(EVERY_ROUTE)
  const add = (list: readonly ProblemCode[]) => { for (const code of list) codes.add(code) }
  const declaresInput = schema.params !== undefined || schema.body !== undefined ||
    (schema.querystring !== undefined && schema.querystring !== noQuerySchema)
  if (declaresInput) codes.add('VALIDATION_FAILED')
  const scope = config.scope ?? 'admin'
  if (scope !== 'none') add(KEYED)
  // Any handler may throw unexpectedly, but for a public route declared not to (RouteConfig.neverFails).
  if (config.neverFails !== true) codes.add('INTERNAL')
  if (scope === 'write' || scope === 'admin') codes.add('INSUFFICIENT_SCOPE')
  if (config.rateLimit !== false) codes.add('RATE_LIMITED')
  if (!(config.produces ?? []).includes('*/*')) codes.add('NOT_ACCEPTABLE')
  if (schema.body !== undefined) add(WITH_BODY)
  if (schema.response !== undefined && '504' in schema.response) add(APPLE_CALL)
  add(config.problems ?? [])
  return [...codes]
}

type Content = Record<string, { schema?: unknown, examples?: Record<string, unknown> }>
interface Response { description?: string, content?: Content }
interface Operation { responses?: Record<string, Response>, [PROBLEMS_KEY]?: ProblemCode[], [PROBLEM_METHODS_KEY]?: ProblemMethods }
interface Doc { paths?: Record<string, Record<string, Operation>>, components?: { examples?: Record<string, unknown> } }

const PROBLEM_REF = '#/components/schemas/Problem'

/** The component name of a code's example at a status: the code, with the status when the code has several. */
export function exampleName (code: ProblemCode, status: number): string {
  return (PROBLEM_CODES[code] as ProblemCodeInfo).statuses.length > 1 ? `${code}_${status}` : code
}

/** Values for a path's parameters in an example's `instance`. */
const SAMPLE_PARAMS: Record<string, string> = { server: 'default', serial: 'C02XK0AAJGH6', uuid: '9A1B6E2F4C3D', id: '42', path: 'devices/sync' }

/** A code's example, its `instance` on the first operation that lists it (examples are shared components). */
function exampleOf (code: ProblemCode, status: number, path: string) {
  const entry: ProblemCodeInfo = PROBLEM_CODES[code]
  const instance = path.replace(/\{(\w+)\}/g, (_, name: string) => SAMPLE_PARAMS[name] ?? name)
  return {
    summary: entry.summary,
    value: { type: problemType(code), title: statusTitle(status), status, code, detail: entry.example, instance, request_id: 'req-1' }
  }
}

/** Whether a response is the shared Problem (a route's own error body, e.g. /readyz's 503, is left as it is). */
function isProblem (response: Response): boolean {
  return (response.content?.[PROBLEM_CONTENT_TYPE]?.schema as { $ref?: string } | undefined)?.$ref === PROBLEM_REF
}

/**
 * Turns each operation's codes (left by the per-route transform) into its error responses, before
 * their headers are added (plugins/external/openapi-headers.ts), so an added status gets them too: a
 * status a code is answered with that the route did not document is added, and each Problem
 * response gets the code enum and one example per code. Codes nobody receives, and those answered
 * before any route is found, are left out.
 */
export function documentProblemCodes<D> (doc: D): D {
  const d = doc as Doc
  const examples: Record<string, unknown> = {}
  for (const [path, item] of Object.entries(d.paths ?? {})) {
    for (const [method, op] of Object.entries(item)) {
      const only = op[PROBLEM_METHODS_KEY] ?? {}
      const codes = op[PROBLEMS_KEY]?.filter((code) => only[code]?.includes(method.toUpperCase()) ?? true)
      delete op[PROBLEMS_KEY]
      delete op[PROBLEM_METHODS_KEY]
      if (codes === undefined) continue
      const responses = op.responses ?? {}
      op.responses = responses
      const byStatus = new Map<number, ProblemCode[]>()
      for (const code of codes) {
        const entry: ProblemCodeInfo = PROBLEM_CODES[code]
        if (entry.unseen === true || entry.unrouted === true) continue
        for (const status of entry.statuses) byStatus.set(status, [...byStatus.get(status) ?? [], code])
      }
      for (const [status, list] of [...byStatus].sort(([a], [b]) => a - b)) {
        const response = responses[status] ??= { description: statusTitle(status), content: { [PROBLEM_CONTENT_TYPE]: { schema: { $ref: PROBLEM_REF } } } }
        if (!isProblem(response)) continue
        const named = list.map((code) => [code, exampleName(code, status)] as const)
        for (const [code, name] of named) examples[name] ??= exampleOf(code, status, path)
        response.content = {
          ...response.content,
          [PROBLEM_CONTENT_TYPE]: {
            schema: { allOf: [{ $ref: PROBLEM_REF }, { type: 'object', properties: { code: { enum: list } }, required: ['code'] }] },
            examples: Object.fromEntries(named.map(([code, name]) => [code, { $ref: `#/components/examples/${name}` }]))
          }
        }
      }
      // A Problem status no code of the route is answered with (403 on a read route that never asks
      // Apple: every key has at least `read`) is one nothing answers: it goes.
      for (const [status, response] of Object.entries(responses)) {
        if (isProblem(response) && !byStatus.has(Number(status))) delete responses[status]
      }
      op.responses = Object.fromEntries(Object.entries(responses).sort(([a], [b]) => a.localeCompare(b)))
    }
  }
  d.components = { ...d.components, examples: Object.fromEntries(Object.entries({ ...d.components?.examples, ...examples }).sort(([a], [b]) => a.localeCompare(b))) }
  return doc
}

/** The per-route half: leaves the route's codes on its operation, for documentProblemCodes. */
export function withProblemCodes<T extends { schema: unknown }> (input: { schema: unknown, route?: { config?: unknown } }, out: T): T {
  const codes = routeProblemCodes({ config: input.route?.config as ProblemRoute['config'], schema: input.schema as ProblemRoute['schema'] })
  const only = (input.route?.config as ProblemRoute['config'])?.problemMethods
  Object.assign(out.schema as object, { [PROBLEMS_KEY]: codes }, only === undefined ? {} : { [PROBLEM_METHODS_KEY]: only })
  return out
}
