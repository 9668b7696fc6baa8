/**
 * The response headers of every operation, derived from what the route declares to the hooks
 * rather than written per route: X-Request-Id on every answer (src/app.ts), Cache-Control and
 * X-Content-Type-Options on every answer (plugins/app/security-headers.ts), the rate-limit fields
 * on every answer of a rate-limited route that the limit counted (plugins/app/rate-limit.ts),
 * WWW-Authenticate on 401 (plugins/app/auth.ts), Retry-After on 429 and 503 (src/problems.ts),
 * Content-Disposition where a file type is produced, and the headers a route says it sends
 * (`sends`: mirror provenance, Location). The pass-through, which forwards Apple's answer, is
 * described as open.
 *
 * The per-route transform leaves the facts on the operation under ROUTE_FACTS_KEY (@fastify/swagger
 * copies `x-` keys of a schema onto the operation); documentResponses turns them into headers once
 * the document is whole, after finishDocument has split several-method routes and set problem types.
 */
import type { RouteConfig, SentHeader } from '../../src/api/route-kit.js'
import { PROBLEM_CONTENT_TYPE } from '../../src/problems.js'

interface HeaderObject { description: string, required?: boolean, schema: Record<string, unknown>, example?: unknown }

const COUNTED = 'Sent on every answer of this status from a rate-limited route: the limit counts a request before anything can refuse it but authentication (401, 403 INSUFFICIENT_SCOPE, 429 TOO_MANY_AUTH_FAILURES, a 500 or 503 when the key could not be read) and shutdown (503 SHUTTING_DOWN).'
const NOT_COUNTED = 'not on an answer before the API key was known (403 INSUFFICIENT_SCOPE, 429 TOO_MANY_AUTH_FAILURES, a 500 or 503 when the key could not be read) nor on a 503 SHUTTING_DOWN, which come before the limit counts; on every other answer of this status.'

/** components.headers: each header described once, referenced from every answer that carries it. */
export const HEADER_COMPONENTS: Record<string, HeaderObject> = {
  XRequestId: {
    description: 'The request\'s id: the caller\'s own X-Request-Id when short and plain, else one depgate made. Also in a problem\'s `request_id` and in depgate\'s log lines.',
    required: true,
    schema: { type: 'string' },
    example: 'req-1a2b3c'
  },
  CacheControl: {
    description: 'Always `no-store`: answers carry device inventories and, once, a new API key\'s secret, which no shared or browser cache may keep (the pass-through sends depgate\'s, not Apple\'s).',
    required: true,
    schema: { type: 'string', enum: ['no-store'] },
    example: 'no-store'
  },
  XContentTypeOptions: {
    description: 'Always `nosniff`: a browser never runs a body as another type than the one it is sent as.',
    required: true,
    schema: { type: 'string', enum: ['nosniff'] },
    example: 'nosniff'
  },
  RateLimitPolicy: {
    description: `The rate limit (IETF draft-ietf-httpapi-ratelimit-headers): \`q\` requests per window of \`w\` seconds, per API key (per client address without one). ${COUNTED}`,
    required: true,
    schema: { type: 'string' },
    example: '"default";q=600;w=60'
  },
  RateLimit: {
    description: `Where the caller stands (IETF draft-ietf-httpapi-ratelimit-headers): \`r\` requests left in this window, which ends in \`t\` seconds. ${COUNTED}`,
    required: true,
    schema: { type: 'string' },
    example: '"default";r=599;t=42'
  },
  RateLimitPolicyWhenCounted: {
    description: `RateLimit-Policy, when the rate limit counted the request: ${NOT_COUNTED}`,
    schema: { type: 'string' },
    example: '"default";q=600;w=60'
  },
  RateLimitWhenCounted: {
    description: `RateLimit, when the rate limit counted the request: ${NOT_COUNTED}`,
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
  WWWAuthenticateOwn: {
    description: 'On depgate\'s own 401 (`application/problem+json`, `code` UNAUTHENTICATED): a depgate API key as a bearer token. Apple\'s 401 forwarded by the pass-through has none (Apple\'s credential headers are dropped).',
    schema: { type: 'string' },
    example: 'Bearer realm="depgate"'
  },
  Allow: {
    description: 'On depgate\'s own 405 (`application/problem+json`, `code` METHOD_NOT_ALLOWED): the methods it forwards there. Apple\'s 405 forwarded by the pass-through carries Apple\'s, if Apple sent one.',
    schema: { type: 'string' },
    example: 'GET, HEAD, POST, PUT, DELETE'
  },
  Location: {
    description: 'On 201, where what was created can be read (the server for PUT …/{server} and PUT …/token, the staged certificate for POST …/certificate); on 202, where the outcome of what was accepted shows (the server, whose `inventory` tells when the requested sync ran and how it ended; the job, for work run as one).',
    required: true,
    schema: { type: 'string', format: 'uri-reference' },
    example: '/v1/servers/default'
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
  XDepgateSourceWhenChosen: {
    description: 'On a failed device read, when it failed after choosing who answers: `apple` when Apple refused or did not answer (or answered what depgate refuses), `mirror` when the mirror\'s read failed. Absent when the request failed before that (its key, its inputs, an unknown server).',
    schema: { type: 'string', enum: ['mirror', 'apple'] },
    example: 'apple'
  },
  ETagCurrent: {
    description: 'The current version, which the request\'s If-Match did not match (412) or did not give (428): send it in If-Match once you have read what it now holds.',
    required: true,
    schema: { type: 'string' },
    example: '"rules-4"'
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
  PreferenceApplied: {
    description: 'On 202, when the request asked `Prefer: respond-async` (RFC 7240): depgate did as asked and answers before the work is done.',
    schema: { type: 'string', enum: ['respond-async'] },
    example: 'respond-async'
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
  'X-Depgate-Next-Page-Token': 'XDepgateNextPageToken',
  'Preference-Applied': 'PreferenceApplied'
}

/** Types answered as a file to save, with a Content-Disposition naming it. */
const FILE_TYPES = new Set(['text/csv', 'application/x-pem-file'])

/** Where the route's facts wait on the operation for documentResponses (removed from the document by it). */
export const ROUTE_FACTS_KEY = 'x-depgate-route'

export interface RouteFacts {
  rateLimited: boolean
  /** Needs an API key: the auth hook may refuse it (401, 403, 429) before the rate limit counts it. */
  authenticated: boolean
  /** Answers whatever Apple answered (the pass-through). */
  open: boolean
  sends: readonly SentHeader[]
  files: boolean
}

/** What the document needs to know of a route's config to say what its answers carry. */
export function routeFacts (config: Partial<Pick<RouteConfig, 'scope' | 'rateLimit' | 'produces' | 'sends'>> | undefined): RouteFacts {
  const produces = config?.produces ?? []
  return {
    rateLimited: config?.rateLimit !== false,
    // The auth hook's default (plugins/app/auth.ts requiredScope) is admin.
    authenticated: config?.scope !== 'none',
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
  const names: Array<[string, string]> = [['X-Request-Id', 'XRequestId'], ['Cache-Control', 'CacheControl'], ['X-Content-Type-Options', 'XContentTypeOptions']]
  // A 401 is answered by the auth hook, before the rate limit counts the request; so are a 403 for
  // the key's scope, a 429 for too many failed keys and a 500 or 503 when the key's record could not
  // be read, and a 503 while shutting down comes before every hook of the app (src/server.ts): on
  // those statuses the fields are there only sometimes.
  if (facts.rateLimited && status !== '401') {
    const always = status !== '503' && !(facts.authenticated && ['403', '429', '500'].includes(status))
    names.push(['RateLimit-Policy', always ? 'RateLimitPolicy' : 'RateLimitPolicyWhenCounted'], ['RateLimit', always ? 'RateLimit' : 'RateLimitWhenCounted'])
  }
  // Apple's own 401 through the pass-through comes without one (its credential headers are dropped).
  if (status === '401') names.push(['WWW-Authenticate', facts.open ? 'WWWAuthenticateOwn' : 'WWWAuthenticate'])
  if (problem && status === '405') names.push(['Allow', 'Allow'])
  if (problem && (status === '429' || status === '503')) names.push(['Retry-After', status === '429' && !facts.open ? 'RetryAfter' : 'RetryAfterWhenKnown'])
  // A device read chooses its source before it reads, so a failure after that carries it too; an
  // If-Match refusal says which version is current.
  if (problem && facts.sends.includes('X-Depgate-Source') && status !== '401' && status !== '406') names.push(['X-Depgate-Source', 'XDepgateSourceWhenChosen'])
  if (problem && facts.sends.includes('ETag') && (status === '412' || status === '428')) names.push(['ETag', 'ETagCurrent'])
  if (status.startsWith('2') && !facts.open) {
    for (const sent of facts.sends) {
      if (sent === 'Preference-Applied' ? status === '202' : (sent !== 'Location' || status === '201' || status === '202')) names.push([sent, COMPONENT_OF[sent]])
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

/** An Apple code Apple answers with this status (docs/apple-dep.md §2.16), as an example of its text. */
const APPLE_EXAMPLE: Record<string, string> = { 400: 'INVALID_CURSOR', 401: 'UNAUTHORIZED', 403: 'ACCESS_DENIED', 404: 'PROFILE_NOT_FOUND', 429: 'TOO_MANY_REQUESTS' }

/**
 * What an error status of the pass-through says: which of its two bodies is depgate's and which is
 * Apple's, told apart by media type (depgate's is always a problem with a `code`; Apple's never).
 */
export function openErrorDescription (status: string, title: string): string {
  const text = `${title}: either depgate's own refusal, always \`application/problem+json\` with a \`code\`, or Apple's own error, forwarded as Apple sent it and never a problem: usually \`text/plain\` with a bare code. Tell them apart by Content-Type.`
  if (status !== '401') return text
  return `${text} depgate's 401 (\`code\` UNAUTHENTICATED: the API key is missing or wrong) carries WWW-Authenticate; Apple's (\`UNAUTHORIZED\`: Apple refused this server's session even after a fresh one, so check its server token) carries none.`
}

/**
 * The pass-through forwards Apple's answer, so its document says so: any 2xx with whatever body
 * Apple sent, a request body where the method has one (sent to Apple as is), Apple's plain-text
 * errors beside depgate's own problems, and a `{path}` that may hold slashes.
 */
function describeOpen (method: string, op: Operation): void {
  const responses = op.responses ?? {}
  for (const [status, res] of Object.entries(responses)) {
    if (!status.startsWith('4') && !status.startsWith('5')) continue
    res.description = openErrorDescription(status, res.description ?? status)
    const apple: Media = { schema: { type: 'string', description: 'Apple\'s error as Apple sent it: not a problem, and not depgate\'s' } }
    if (APPLE_EXAMPLE[status] !== undefined) apple.example = APPLE_EXAMPLE[status]
    res.content = { ...res.content, 'text/plain': apple }
  }
  const ok: Response = { description: 'Apple\'s answer: its status, its headers (less hop-by-hop and credential ones, and less those depgate sets on every answer itself) and its body, as Apple sent them' }
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
