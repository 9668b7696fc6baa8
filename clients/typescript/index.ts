/**
 * depgate's TypeScript client: openapi-fetch over the types openapi-typescript generates from
 * openapi/openapi.json (schema.d.ts, rewritten by `npm run openapi`). What it adds is what every
 * caller would otherwise write again: the base URL and `Authorization: Bearer`, the retry of
 * 429/503 after `Retry-After` (retry.ts), the page loops (paging.ts), problems as errors, and a
 * typed reading of documented response headers.
 */
import createClient, { type Client } from 'openapi-fetch'
import type { paths } from './schema.js'
import { type Fetch, retryingFetch, type RetryOptions } from './retry.js'

export type { components, paths } from './schema.js'
export { retryAfterMs, retryingFetch, type Fetch, type RetryOptions } from './retry.js'
export { DepgateError, unwrap, type Problem } from './errors.js'
export { changePages, devicePages, type ChangePageOptions, type DevicePageOptions } from './paging.js'

/**
 * The bodies the client reads: JSON and problems. The NDJSON and CSV forms of the device list are
 * for streaming readers (`parseAs: 'stream'`); typing them away gives each call one body type.
 */
export type JsonMedia = 'application/json' | 'application/problem+json'
export type DepgateClient = Client<paths, JsonMedia>

export interface DepgateClientOptions {
  /** Where depgate answers, e.g. `https://depgate.example.com` (the paths start with `/v1/…`). */
  baseUrl: string
  /** An API key (`dgk_…`), sent as `Authorization: Bearer`. */
  apiKey: string
  /** The retry of 429/503 after `Retry-After`; `{ attempts: 1 }` turns it off. */
  retry?: RetryOptions
  /** The fetch underneath (default the global one). */
  fetch?: Fetch
}

export function createDepgateClient (opts: DepgateClientOptions): DepgateClient {
  const fetch = opts.fetch ?? (async (request: Request) => await globalThis.fetch(request))
  return createClient<paths, JsonMedia>({
    baseUrl: opts.baseUrl,
    headers: { authorization: `Bearer ${opts.apiKey}` },
    fetch: retryingFetch(fetch, opts.retry)
  })
}

/** The names a response object of the generated types documents, without its catch-all index. */
export type DocumentedHeaderName<R> = R extends { headers: infer H }
  ? keyof { [K in keyof H as string extends K ? never : number extends K ? never : K]: H[K] } & string
  : never

/** The response object the document declares for an operation's status, e.g. `ResponseObject<'/v1/servers', 'get', 429>`. */
export type ResponseObject<P extends keyof paths, M extends keyof paths[P], S extends number> =
  paths[P][M] extends { responses: infer R } ? S extends keyof R ? R[S] : never : never

/**
 * A response header the document declares for that response, as sent (a string), e.g.
 * `header<ResponseObject<'/v1/servers', 'get', 429>>(result.response, 'Retry-After')`: a name the
 * document does not declare there does not compile.
 */
export function header<R> (response: Response, name: DocumentedHeaderName<R>): string | undefined {
  return response.headers.get(name) ?? undefined
}
