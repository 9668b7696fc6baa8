/**
 * Runs the contract test for a share of the document's operations: one depgate + simulator
 * listening on loopback, and for every operation every documented status, reached the way the
 * fixture table (fixtures.ts) says, over real HTTP, each answer checked against the document.
 * An operation or a documented status the table has no way to reach fails the test, so a new
 * route or a new status forces a fixture.
 */
import { type AddressInfo, createServer, type Socket } from 'node:net'
import type { Test } from 'tap'
import { request } from 'undici'
import { generateApiKey } from '../../src/api-key-secrets.js'
import type { Scope } from '../../src/scopes.js'
import type { SimState } from '../../src/simulator/index.js'
import type { Store } from '../../src/store/index.js'
import { buildTestApp, untilReady } from '../helper.js'
import { Contract, documentedStatus, operationsOf, type OpenApiDoc, type Operation } from './document.js'
import { FIXTURES, fixtureOf, GENERIC, KNOWN_GAPS, MIRROR_OFF, type Ctx, type Req } from './fixtures.js'

/** Short Apple timeouts: a 504 costs one headers timeout (undici's timer is coarse: up to a second late). */
const HEADERS_MS = 200

type KeyFailure = 'internal' | 'unavailable'

/** The store, with two switches: readiness fails, and the auth lookup of chosen key ids fails. */
function switchable (store: Store, state: { pingFails: boolean, failing: Map<string, KeyFailure> }): Store {
  const keys = store.keys
  const wrapped = Object.create(keys) as Store['keys']
  wrapped.getForAuth = async (id) => {
    const how = state.failing.get(id)
    if (how === 'internal') throw new Error('contract test: an unexpected failure in the store')
    // What better-sqlite3 throws while another process holds the database: depgate answers 503.
    if (how === 'unavailable') throw Object.assign(new Error('database is locked'), { name: 'SqliteError', code: 'SQLITE_BUSY' })
    return await keys.getForAuth(id)
  }
  return {
    ...store,
    keys: wrapped,
    ping: async () => {
      if (state.pingFails) throw new Error('contract test: the database does not answer')
      await store.ping()
    }
  }
}

export interface ContractOptions {
  /** Run the app without the device mirror and check only the statuses of fixtures.ts MIRROR_OFF (contract-d). */
  mirrorOff?: boolean
}

export async function runContract (t: Test, share: (op: Operation, index: number) => boolean, options: ContractOptions = {}): Promise<void> {
  const mirrorOff = options.mirrorOff === true
  const state = { pingFails: false, failing: new Map<string, KeyFailure>() }
  const scopes = new Map<string, string>()
  const built = await buildTestApp(t, {
    env: {
      // Every call uses a fresh key, so one request a key a minute makes 429 one extra call away.
      DEPGATE_RATE_LIMIT: '1',
      DEPGATE_AUTH_FAILURE_LIMIT: '1000000',
      DEPGATE_ALLOW_DISOWN: 'true',
      DEPGATE_BODY_LIMIT: '65536',
      DEPGATE_SYNC_INTERVAL: '86400',
      DEPGATE_MIRROR: mirrorOff ? 'false' : 'true',
      // The assignment engine, for the backfill's 202 (off without the mirror: the 409).
      DEPGATE_ASSIGN: mirrorOff ? 'false' : 'true'
    },
    wrapStore: (s) => switchable(s, state),
    depClientOptions: { timeouts: { connectMs: 1000, headersMs: HEADERS_MS, bodyMs: 2000 } },
    onRoute: (route) => {
      const path = route.url.replace(/:(\w+)/g, '{$1}').replace(/\*$/, '{path}')
      for (const method of [route.method].flat()) scopes.set(`${method} ${path}`, String(route.config?.scope ?? 'admin'))
    }
  })
  const { app, createKey } = built
  const base = await app.listen({ host: '127.0.0.1', port: 0 })
  // Without a mirror there is nothing to wait for.
  if (!mirrorOff) await untilReady(app)
  const sim = (built.sim?.app.sim) as SimState
  const accessSecret = sim.credentials.access_secret
  const serials = sim.world.list().map((d) => d.serial_number)

  const docRes = await request(`${base}/openapi.json`)
  const doc = await docRes.body.json() as OpenApiDoc
  const contract = new Contract(doc)
  const operations = operationsOf(doc)

  const ctx: Ctx = {
    base,
    sim,
    simUrl: built.sim?.url ?? '',
    serial: (i) => serials[i],
    key: async (scope: Scope = 'admin') => await createKey(scope),
    failingKey: (how) => {
      const k = generateApiKey()
      state.failing.set(k.id, how)
      return k.key
    },
    failReadiness: () => { state.pingFails = true },
    scopeOf: (op) => scopes.get(`${op.method} ${op.path}`) ?? 'none',
    call: async (req) => await send(base, req),
    refusingUrl: await refusingUrl(),
    silentUrl: await silentUrl(t)
  }

  // Entries the document outgrew are reported, not failed: the document changes under other work.
  const keys = new Set(operations.flatMap((op) => [op.key, `${op.method} ${op.path}`]))
  for (const key of Object.keys(FIXTURES)) if (!keys.has(key)) t.comment(`stale fixture: ${key} is no operation of the document`)
  const named = new Set(operations.flatMap((op) => op.statuses.flatMap((s) => ['', ...mediaTypes(op, s).map((m) => ` as ${m}`)].flatMap((v) => [`${op.key} → ${s}${v}`, `${op.method} ${op.path} → ${s}${v}`]))))
  for (const key of Object.keys(KNOWN_GAPS)) if (!named.has(key)) t.comment(`stale known gap: ${key} is no longer documented`)

  let calls = 0
  for (const [index, op] of operations.entries()) {
    if (!share(op, index)) continue
    const fixture = fixtureOf(op)
    for (const status of op.statuses) {
      // A status only an app without the mirror answers is checked by the shard that runs one, and only there.
      if ((MIRROR_OFF[op.key]?.[status] !== undefined) !== mirrorOff) continue
      const name = `${op.key} → ${status}`
      // A known gap between the document and the code is a TODO: reported, and passing once fixed.
      const gap = KNOWN_GAPS[name] ?? KNOWN_GAPS[`${op.method} ${op.path} → ${status}`]
      const todo = gap === undefined ? {} : { todo: gap }
      const recipe = mirrorOff ? MIRROR_OFF[op.key]?.[status] : fixture?.statuses?.[status] ?? GENERIC[status]
      // A success is asked for in each media type the document lists for it (Accept), an error once.
      const types = status.startsWith('2') ? mediaTypes(op, status) : []
      for (const type of types.length > 1 ? types : [undefined]) {
        const req = recipe === undefined ? undefined : await recipe(ctx, op)
        if (req === undefined) {
          t.fail(`${name}: documented, but the fixture table has no way to reach it (add one to test/contract/fixtures.ts)`, todo)
          break
        }
        if (type !== undefined) req.headers = { ...req.headers, accept: type }
        const started = performance.now()
        const answer = await ctx.call(req)
        if (process.env.CONTRACT_DEBUG !== undefined) console.error(`${(performance.now() - started).toFixed(0).padStart(6)} ms ${name}`)
        calls++
        await req.cleanup?.()
        reset(sim, accessSecret, state)
        const failures = documentedStatus(op, answer.status) === status ? contract.check(op, answer) : [`answered ${answer.status}, not ${status}: ${answer.text.slice(0, 300)}`]
        const served = String(answer.headers['content-type']).split(';')[0]
        if (type !== undefined && served !== type.split(';')[0]) failures.push(`asked for ${type}, served ${served}`)
        const variant = type === undefined ? '' : ` as ${type}`
        const variantGap = KNOWN_GAPS[`${name}${variant}`] ?? KNOWN_GAPS[`${op.method} ${op.path} → ${status}${variant}`]
        t.same(failures, [], `${name}${variant}`, variantGap === undefined ? todo : { todo: variantGap })
      }
    }
  }
  t.ok(calls > 0, `${calls} calls checked`)
}

/** The media types the document lists for a status of an operation, less the wildcard (nothing to ask for). */
function mediaTypes (op: Operation, status: string): string[] {
  return Object.keys(op.doc.responses?.[status]?.content ?? {}).filter((type) => type !== '*/*')
}

/** An address nothing listens on: a server bound to a free port, then closed. */
async function refusingUrl (): Promise<string> {
  const server = createServer()
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  const { port } = server.address() as AddressInfo
  await new Promise((resolve) => server.close(resolve))
  return `http://127.0.0.1:${port}`
}

/** An Apple that takes the connection and never answers: depgate's headers timeout ends the wait. */
async function silentUrl (t: Test): Promise<string> {
  const sockets = new Set<Socket>()
  const server = createServer((socket) => {
    sockets.add(socket)
    socket.on('close', () => sockets.delete(socket))
  })
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  t.teardown(async () => {
    for (const socket of sockets) socket.destroy()
    await new Promise((resolve) => server.close(resolve))
  })
  return `http://127.0.0.1:${(server.address() as AddressInfo).port}`
}

function reset (sim: SimState, accessSecret: string, state: { pingFails: boolean }): void {
  sim.faults.clear()
  sim.config.termsSigned = true
  sim.config.accessDenied = false
  sim.credentials.access_secret = accessSecret
  state.pingFails = false
}

async function send (base: string, req: Req): Promise<{ status: number, headers: Record<string, string | string[] | undefined>, text: string }> {
  const headers: Record<string, string> = { ...req.headers }
  if (req.key !== null && req.key !== undefined) headers.authorization = `Bearer ${req.key}`
  let body: string | Buffer | undefined
  if (req.body !== undefined) {
    body = typeof req.body === 'string' || Buffer.isBuffer(req.body) ? req.body : JSON.stringify(req.body)
    headers['content-type'] ??= 'application/json'
  }
  const res = await request(`${base}${req.path}`, { method: req.method as 'GET', headers, body })
  const text = await res.body.text()
  return { status: res.statusCode, headers: res.headers, text }
}
