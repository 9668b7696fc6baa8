/**
 * The response headers of every operation, derived from what the route declares to the hooks
 * rather than written per route: X-Request-Id on every answer (src/app.ts), the rate-limit fields
 * on every answer of a rate-limited route (plugins/app/rate-limit.ts), WWW-Authenticate on 401
 * (plugins/app/auth.ts), Retry-After on 429 and 503 (src/problems.ts), Content-Disposition where a
 * file type is produced, and the headers a route says it sends (`sends`: mirror provenance,
 * Location). The pass-through, which forwards Apple's answer, is described as open.
 *
 * The per-route transform leaves the facts on the operation under ROUTE_FACTS_KEY (@fastify/swagger
 * copies `x-` keys of a schema onto the operation); documentResponses turns them into headers once
 * the document is whole, after finishDocument has split several-method routes and set problem types.
 */
import type { RouteConfig, SentHeader } from '../../src/api/route-kit.js'
import { PROBLEM_CONTENT_TYPE } from '../../src/problems.js'

interface HeaderObject { description: string, required?: boolean, schema: Record<string, unknown>, example?: unknown }

/** components.headers: each header described once, referenced from every answer that carries it. */
export const HEADER_COMPONENTS: Record<string, HeaderObject> = {
  XRequestId: {
    description: 'The request\'s id: the caller\'s own X-Request-Id when short and plain, else one depgate made. Also in a problem\'s `request_id` and in depgate\'s log lines.',
    required: true,
    schema: { type: 'string' },
    example: 'req-1a2b3c'
  },
  RateLimitPolicy: {
    description: 'The rate limit (IETF draft-ietf-httpapi-ratelimit-headers): `q` requests per window of `w` seconds, per API key (per client address without one). Sent on every answer of a rate-limited route, except those refused before the key was known.',
    schema: { type: 'string' },
    example: '"default";q=600;w=60'
  },
  RateLimit: {
    description: 'Where the caller stands (IETF draft-ietf-httpapi-ratelimit-headers): `r` requests left in this window, which ends in `t` seconds. Sent with RateLimit-Policy.',
    schema: { type: 'string' },
    example: '"default";r=599;t=42'
  },
  RetryAfter: {
    description: 'Seconds to wait before trying again: every 429 of depgate\'s says how long.',
    required: true,
    schema: { type: 'integer', minimum: 0 },
    example: 30
  },
  RetryAfterWhenKnown: {
    description: 'Seconds to wait before trying again, when that is known: on a 503 when waiting helps (Apple or the database busy, depgate shutting down or still fetching its mirror), and on Apple\'s own 429 through the pass-through when Apple said.',
    schema: { type: 'integer', minimum: 0 },
    example: 30
  },
  WWWAuthenticate: {
    description: 'The authentication scheme to use: a depgate API key as a bearer token.',
    required: true,
    schema: { type: 'string' },
    example: 'Bearer realm="depgate"'
  },
  Location: {
    description: 'Where what was created can be read.',
    required: true,
    schema: { type: 'string', format: 'uri-reference' },
    example: '/v1/servers/default/certificate'
  },
  ETag: {
    description: 'The version of what was answered: send it back in If-Match to change it only if no one else has since.',
    required: true,
    schema: { type: 'string' },
    example: '"rules-3"'
  },
  XDepgateSource: {
    description: 'Who answered: `mirror` (depgate\'s copy of Apple\'s device list) or `apple` (asked live).',
    required: true,
    schema: { type: 'string', enum: ['mirror', 'apple'] },
    example: 'mirror'
  },
  XDepgateSyncedAt: {
    description: 'When the mirror last finished a sync with Apple (ISO 8601, UTC). Only on answers from a mirror that has synced.',
    schema: { type: 'string', format: 'date-time' },
    example: '2026-01-05T09:30:00.000Z'
  },
  XDepgateTotal: {
    description: 'On a CSV page (`limit` with `format=csv` or Accept: text/csv): the devices matching the filters on all pages, as `total` in the JSON answer.',
    schema: { type: 'integer', minimum: 0 },
    example: 2000
  },
  XDepgateNextPageToken: {
    description: 'On a CSV page that is not the last: the `page_token` of the next page, as `next_page_token` in the JSON answer.',
    schema: { type: 'string' },
    example: 'eyJrIjoiQzAyWDEyMzRBQkNEIn0'
  },
  ContentDisposition: {
    description: 'With a file type (CSV, PEM): the name to save the answer under.',
    schema: { type: 'string' },
    example: 'attachment; filename="depgate-default-devices.csv"'
  }
}

const COMPONENT_OF: Record<SentHeader, string> = {
  Location: 'Location',
  ETag: 'ETag',
  'X-Depgate-Source': 'XDepgateSource',
  'X-Depgate-Synced-At': 'XDepgateSyncedAt',
  'X-Depgate-Total': 'XDepgateTotal',
  'X-Depgate-Next-Page-Token': 'XDepgateNextPageToken'
}

/** Types answered as a file to save, with a Content-Disposition naming it. */
const FILE_TYPES = new Set(['text/csv', 'application/x-pem-file'])

/** Where the route's facts wait on the operation for documentResponses (removed from the document by it). */
export const ROUTE_FACTS_KEY = 'x-depgate-route'

export interface RouteFacts {
  rateLimited: boolean
  /** Answers whatever Apple answered (the pass-through). */
  open: boolean
  sends: readonly SentHeader[]
  files: boolean
}

/** What the document needs to know of a route's config to say what its answers carry. */
export function routeFacts (config: Partial<Pick<RouteConfig, 'rateLimit' | 'produces' | 'sends'>> | undefined): RouteFacts {
  const produces = config?.produces ?? []
  return {
    rateLimited: config?.rateLimit !== false,
    open: produces.includes('*/*'),
    sends: config?.sends ?? [],
    files: produces.some((type) => FILE_TYPES.has(type))
  }
}

const ref = (component: string): { $ref: string } => ({ $ref: `#/components/headers/${component}` })

/**
 * The headers of one answer (`status` as the document writes it: `200`, `2XX`); `problem`: the
 * answer is a problem (only problems carry Retry-After: /readyz's 503 report does not).
 */
export function headersFor (facts: RouteFacts, status: string, problem: boolean): Record<string, { $ref: string }> {
  const names: Array<[string, string]> = [['X-Request-Id', 'XRequestId']]
  // A 401 is answered by the auth hook, before the rate limit counts the request.
  if (facts.rateLimited && status !== '401') names.push(['RateLimit-Policy', 'RateLimitPolicy'], ['RateLimit', 'RateLimit'])
  if (status === '401') names.push(['WWW-Authenticate', 'WWWAuthenticate'])
  if (problem && (status === '429' || status === '503')) names.push(['Retry-After', status === '429' && !facts.open ? 'RetryAfter' : 'RetryAfterWhenKnown'])
  if (status.startsWith('2') && !facts.open) {
    for (const sent of facts.sends) {
      if (sent !== 'Location' || status === '201' || status === '202') names.push([sent, COMPONENT_OF[sent]])
    }
    if (facts.files) names.push(['Content-Disposition', 'ContentDisposition'])
  }
  return Object.fromEntries(names.map(([name, component]) => [name, ref(component)]))
}

interface Media { schema?: unknown, example?: unknown }
interface Response { description?: string, headers?: Record<string, unknown>, content?: Record<string, Media> }
interface Parameter { in?: string, name?: string, description?: string, example?: unknown }
interface Operation {
  [ROUTE_FACTS_KEY]?: RouteFacts
  parameters?: Parameter[]
  requestBody?: unknown
  responses?: Record<string, Response>
}

/** Methods whose request carries no body (RFC 9110 defines none for GET and HEAD). */
const BODILESS = new Set(['get', 'head'])

const APPLE_TEXT_ERROR = 'or Apple\'s own error, as Apple sent it (often a bare code as text, e.g. `INVALID_CURSOR`)'

/**
 * The pass-through forwards Apple's answer, so its document says so: any 2xx with whatever body
 * Apple sent, a request body where the method has one (sent to Apple as is), Apple's plain-text
 * errors beside depgate's own problems, and a `{path}` that may hold slashes.
 */
function describeOpen (method: string, op: Operation): void {
  const responses = op.responses ?? {}
  for (const [status, res] of Object.entries(responses)) {
    if (!status.startsWith('4') && !status.startsWith('5')) continue
    res.description = `${res.description ?? status}: depgate's problem, ${APPLE_TEXT_ERROR}`
    res.content = { ...res.content, 'text/plain': { schema: { type: 'string' }, example: 'INVALID_CURSOR' } }
  }
  const ok: Response = { description: 'Apple\'s answer: its status, its headers (less hop-by-hop and credential ones) and its body, as Apple sent them' }
  if (method !== 'head') ok.content = { '*/*': { schema: {} } }
  op.responses = { '2XX': ok, ...responses }
  if (!BODILESS.has(method)) {
    op.requestBody = {
      required: false,
      description: 'Sent to Apple as it is (Apple\'s endpoints take JSON).',
      content: { 'application/json': { schema: {} } }
    }
  }
  for (const p of op.parameters ?? []) {
    if (p.in !== 'path' || p.name !== 'path') continue
    p.description = 'The Apple path without its leading slash; it may hold slashes (`devices/sync`, `profile/devices`), sent as they are or percent-encoded as %2F.'
    p.example = 'devices/sync'
  }
}

/** Puts every answer's headers into the document (and the pass-through's open shape), from the facts each route left. */
export function documentResponses<D> (doc: D): D {
  const withPaths = doc as { paths?: Record<string, Record<string, Operation>>, components?: { headers?: Record<string, unknown> } }
  for (const item of Object.values(withPaths.paths ?? {})) {
    for (const [method, op] of Object.entries(item)) {
      const facts = op[ROUTE_FACTS_KEY]
      if (facts === undefined) continue
      delete op[ROUTE_FACTS_KEY]
      if (facts.open) describeOpen(method, op)
      for (const [status, res] of Object.entries(op.responses ?? {})) {
        res.headers = { ...res.headers, ...headersFor(facts, status, res.content?.[PROBLEM_CONTENT_TYPE] !== undefined) }
      }
    }
  }
  withPaths.components = { ...withPaths.components, headers: { ...withPaths.components?.headers, ...HEADER_COMPONENTS } }
  return doc
}
