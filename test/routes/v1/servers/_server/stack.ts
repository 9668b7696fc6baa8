/**
 * The real thing for end-to-end tests: the simulator listening on loopback, depgate's app listening
 * on loopback with a SQLite store in a temporary directory and the simulator as its `default`
 * server, and a small undici caller. Nothing is injected: every call crosses a real socket.
 */
import { request } from 'undici'
import { buildServer } from '../../../../../src/server.js'
import { loadConfig } from '../../../../../src/config.js'
import { DEPSIM_CREDENTIALS, startSimulator, type SimulatorOptions } from '../../../../../src/simulator/index.js'
import type { DepClientOptions } from '../../../../../src/dep/index.js'
import type { AuditEntry } from '../../../../../src/store/index.js'
import { until } from '../../../../helper.js'

export const ADMIN_KEY = 'e2e-admin-key-0123456789-abcdefghijklmnop'

interface Tap {
  teardown: (fn: () => unknown) => void
  testdir: (fixture?: Record<string, string>) => string
}

export interface StackOptions {
  devices?: number
  sim?: SimulatorOptions
  env?: Record<string, string>
  client?: Partial<DepClientOptions>
}

export interface Answer {
  status: number
  headers: Record<string, string | string[] | undefined>
  text: string
  json: () => any
}

export interface CallOptions {
  body?: unknown
  /** Sent verbatim (no JSON encoding). */
  raw?: string
  headers?: Record<string, string>
  key?: string | null
}

export interface Stack {
  url: string
  simUrl: string
  call: (method: string, path: string, opts?: CallOptions) => Promise<Answer>
  sim: (method: string, path: string, body?: unknown) => Promise<any>
  /** The newest audit entries with this action; waits for them, as the entry is written after the answer is sent. */
  audit: (action: string, count?: number) => Promise<AuditEntry[]>
}

/** Fast retries and short timeouts keep fault tests quick; the behaviour tested is the same. */
export const FAST_CLIENT: Partial<DepClientOptions> = {
  retry: { retries: 2, baseDelayMs: 1, maxDelayMs: 5, maxRetryAfterMs: 5 },
  timeouts: { connectMs: 1000, headersMs: 400, bodyMs: 2000 }
}

async function http (url: string, method: string, opts: CallOptions & { json?: boolean } = {}): Promise<Answer> {
  const headers: Record<string, string> = { ...opts.headers }
  let body: string | undefined
  if (opts.raw !== undefined) body = opts.raw
  else if (opts.body !== undefined) body = JSON.stringify(opts.body)
  if (body !== undefined && headers['content-type'] === undefined) headers['content-type'] = 'application/json'
  const res = await request(url, { method: method as 'GET', headers, body })
  const text = await res.body.text()
  return { status: res.statusCode, headers: res.headers, text, json: () => JSON.parse(text) }
}

export async function startStack (t: Tap, opts: StackOptions = {}): Promise<Stack> {
  const sim = await startSimulator({ devices: opts.devices ?? 30, ...opts.sim })
  const config = loadConfig({
    DEPGATE_ADMIN_KEY: ADMIN_KEY,
    DEPGATE_DATA_DIR: t.testdir(),
    DEPGATE_RATE_LIMIT: '1000000',
    DEPGATE_LOG_LEVEL: 'silent',
    DEPGATE_SIMULATOR: 'off',
    // The mirror changes where device reads come from: tests of it turn it on (DEPGATE_MIRROR: 'true').
    DEPGATE_MIRROR: 'false',
    ...opts.env
  })
  const gw = await buildServer(config, {
    defaultServer: { token: DEPSIM_CREDENTIALS, baseUrl: sim.url },
    depClientOptions: { ...FAST_CLIENT, ...opts.client }
  })
  await gw.listen({ host: '127.0.0.1', port: 0 })
  // depgate first (its pool holds connections to the simulator). After a test hung up mid-stream,
  // Node leaves keep-alive sockets that closeIdleConnections() skips, and close() would wait for the
  // 72 s keep-alive timeout: the tests end them outright.
  t.teardown(async () => {
    gw.server.closeAllConnections()
    await gw.close()
    await sim.close()
  })
  const address = gw.server.address()
  const url = `http://127.0.0.1:${typeof address === 'object' && address !== null ? address.port : 0}`
  return {
    url,
    simUrl: sim.url,
    call: async (method, path, o = {}) => {
      const key = o.key === undefined ? ADMIN_KEY : o.key
      const headers = key === null ? { ...o.headers } : { authorization: `Bearer ${key}`, ...o.headers }
      return await http(`${url}${path}`, method, { ...o, headers })
    },
    audit: async (action, count = 1) => await until(`${count} audit entr${count === 1 ? 'y' : 'ies'} ${action}`, async () => {
      const entries = (await gw.store.audit.list({ limit: 500 })).filter((e) => e.action === action)
      return entries.length >= count && entries
    }),
    sim: async (method, path, body) => {
      const res = await http(`${sim.url}${path}`, method, body === undefined ? {} : { body })
      if (res.status >= 300) throw new Error(`simulator ${method} ${path}: ${res.status} ${res.text}`)
      return res.text === '' ? undefined : res.json()
    }
  }
}

/** Path under the default server. */
export const S = '/v1/servers/default'
