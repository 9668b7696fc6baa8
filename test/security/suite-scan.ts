/**
 * The suite-wide secret scan behind every `buildTestApp`: each test app records its log lines and
 * every response it sends (headers and payload, through a route-level onSend hook added as routes
 * are registered), and at teardown the whole record is scanned for any 16-character run of any
 * secret the test app knows of: DEPGATE_ADMIN_KEY, the secret part of keys made with `createKey`,
 * the server token's OAuth values, every session token the simulator issued, the secret-box key
 * (hex, base64 and base64url, whichever of DEPGATE_SECRET_KEY or the data dir's secret.key the app
 * used) and the private part of every key pair the app generated (as leak-kit derives it: the PEM
 * body from the private exponent on, its hex, the JWK's private members). A hit throws from the
 * teardown, which fails the test that produced it.
 *
 * Recording is cheap (a reference per response, no copying of strings); scanning runs once, at the
 * end, and costs about the same whatever the number of secrets (one map lookup per 16-character
 * window of the record), and every webhook signing secret the app answered (create, rotate-secret: the
 * only answers allowed to show it), every dashboard session id (shown only in the Set-Cookie that
 * opens it), every org private key PUT /v1/orgs/{org} was given (the parts leak-kit derives, once it
 * parses) and every AxM access token the simulator issued; a private key's forms are derived only then, and only for apps that made one. Streams (NDJSON) are not recorded: they are device records only, and the dedicated leak test
 * reads them over HTTP.
 */
import type { FastifyReply, onSendHookHandler, preHandlerHookHandler, RouteOptions } from 'fastify'
import type { ServerToken } from '../../src/dep/token.js'
import type { StartedSimulator } from '../../src/simulator/index.js'
import { ecPrivateKeySecrets, privateKeySecrets, SecretScanner } from './leak-kit.js'

/** Past this many recorded characters a test app stops recording (a 100,000-device drain is ~60 MB). */
const MAX_RECORDED = 64 * 1024 * 1024

/** The operations whose answer carries a webhook's new signing secret, once. */
const SHOWS_WEBHOOK_SECRET = new Set(['createWebhook', 'rotateWebhookSecret'])

/** The dashboard's session cookie as a Set-Cookie opens it (routes/ui SESSION_COOKIE). */
const OPENS_SESSION = /^depgate_session=([^;]+)/

/** An org's private key as PUT /v1/orgs/{org} takes it: watched once it parses as one. */
interface OrgKeyBody { private_key?: unknown }

export interface SecretWatch {
  /** Chain into buildServer's `onRoute`: gives every route the recording onSend hook. */
  onRoute: (route: RouteOptions) => void
  /** Something the app must never show, e.g. an API key's secret part. */
  secret: (name: string, value: string) => void
  /** Throws with the first finding; `logs` are the app's log lines. */
  check: (logs: readonly string[]) => void
}

export interface SecretWatchOptions {
  adminKey: string
  token?: ServerToken
  sim?: StartedSimulator
  /** The secret-box key, read at the check (the app creates its key file at start). */
  secretBoxKey?: () => Buffer | undefined
  /** Private keys the app generated, as `[name, PEM]`: read at the check, so it may grow until then. */
  privateKeys?: ReadonlyArray<readonly [string, string]>
}

export function secretWatch (opts: SecretWatchOptions): SecretWatch {
  const secrets: Array<[string, string]> = [['DEPGATE_ADMIN_KEY', opts.adminKey]]
  if (opts.token !== undefined) {
    for (const field of ['consumer_key', 'consumer_secret', 'access_token', 'access_secret'] as const) {
      secrets.push([`server token ${field}`, opts.token[field]])
    }
  }
  const seen: Array<{ where: string, text: string }> = []
  let recorded = 0
  const record = (where: string, text: string): void => {
    if (recorded > MAX_RECORDED) return
    recorded += text.length
    seen.push({ where, text })
  }

  // A dashboard session id is a secret everywhere but in the Set-Cookie that opens it, which is
  // recorded without it.
  const headersOf = (headers: ReturnType<FastifyReply['getHeaders']>): string => {
    const cookies = headers['set-cookie']
    if (cookies === undefined) return JSON.stringify(headers)
    const kept = [cookies].flat().map((c) => String(c).replace(OPENS_SESSION, (_whole, id: string) => {
      secrets.push(['a dashboard session id', id])
      return 'depgate_session=<the session id>'
    }))
    return JSON.stringify({ ...headers, 'set-cookie': kept })
  }

  const onSend: onSendHookHandler = function (request, reply, payload, done) {
    const where = `${request.method} ${request.url} → ${reply.statusCode}`
    record(`${where} headers`, headersOf(reply.getHeaders()))
    if (typeof payload === 'string') record(`${where} body`, payload)
    else if (Buffer.isBuffer(payload)) record(`${where} body`, payload.toString('utf8'))
    done(null, payload)
  }

  // The one answer that may show a webhook's signing secret (create, rotate-secret): its secret is
  // watched from then on, everywhere else, and that body alone is not recorded.
  const onSendSecret: onSendHookHandler = function (request, reply, payload, done) {
    const where = `${request.method} ${request.url} → ${reply.statusCode}`
    record(`${where} headers`, headersOf(reply.getHeaders()))
    const secret = typeof payload === 'string' && reply.statusCode < 300 ? (JSON.parse(payload) as { secret?: string }).secret : undefined
    if (secret !== undefined) secrets.push([`webhook secret (${where})`, secret.slice('whsec_'.length)])
    else if (typeof payload === 'string') record(`${where} body`, payload)
    done(null, payload)
  }

  // Org private keys the app was given (PUT /v1/orgs/{org}): their secret parts are derived at the check.
  const orgKeys: string[] = []
  const noteOrgKey: preHandlerHookHandler = function (request, _reply, done) {
    const key = (request.body as OrgKeyBody | undefined)?.private_key
    if (typeof key === 'string') orgKeys.push(key)
    done()
  }

  return {
    onRoute (route) {
      const existing = route.onSend === undefined ? [] : [route.onSend].flat()
      const operationId = (route.schema as { operationId?: string } | undefined)?.operationId
      route.onSend = [...existing, SHOWS_WEBHOOK_SECRET.has(operationId ?? '') ? onSendSecret : onSend]
      if (operationId === 'putOrg') route.preHandler = [...(route.preHandler === undefined ? [] : [route.preHandler].flat()), noteOrgKey]
    },
    secret (name, value) { secrets.push([name, value]) },
    check (logs) {
      const scanner = new SecretScanner()
      for (const [name, value] of secrets) scanner.add(name, value)
      const boxKey = opts.secretBoxKey?.()
      if (boxKey !== undefined) {
        for (const encoding of ['hex', 'base64', 'base64url'] as const) scanner.add(`the secret-box key (${encoding})`, boxKey.toString(encoding))
      }
      for (const [name, pem] of opts.privateKeys ?? []) {
        for (const [part, value] of privateKeySecrets(name, pem)) scanner.add(part, value)
      }
      for (const [i, pem] of orgKeys.entries()) {
        let parts: Array<[string, string]>
        try {
          parts = ecPrivateKeySecrets(`org private key #${i}`, pem)
        } catch {
          continue // not a whole key (a test's refused input): nothing of it can be derived
        }
        for (const [part, value] of parts) scanner.add(part, value)
      }
      for (const token of opts.sim?.app.sim.axm.auth.tokens.keys() ?? []) scanner.add('an AxM access token the simulator issued', token)
      // Private in the simulator's types; read here as the dedicated leak test does.
      // Its first 10 digits are the time of issue (as Apple's), which cursors and dates share: only the random part is secret.
      for (const token of opts.sim?.app.sim.sessions['sessions'].keys() ?? []) scanner.add('a simulator session token', token.replace(/^\d{10}/, ''))
      for (const [i, line] of logs.entries()) {
        const found = scanner.scan(line, `log line ${i}`)
        if (found !== undefined) throw new Error(`secret scan: ${found.secret} in ${found.where}: …${found.excerpt}…`)
      }
      for (const { where, text } of seen) {
        const found = scanner.scan(text, where)
        if (found !== undefined) throw new Error(`secret scan: ${found.secret} in ${found.where}: …${found.excerpt}…`)
      }
    }
  }
}
