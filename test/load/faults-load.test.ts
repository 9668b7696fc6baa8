// @slow: 2,000 requests from 200 clients under faults
/**
 * Load with faults, test-sized: 200 concurrent clients over real sockets mixing reads and writes
 * (2,000 requests in four windows) while the simulator fails 5 % of the calls that reach it
 * (5xx, 429, dropped connections, truncated and HTML bodies, slow answers past the timeout),
 * chosen by a seeded generator. Checked: no 5xx except the documented upstream problems, every
 * error is problem+json, no unhandled rejection, and the heap after a forced GC does not grow from
 * the first window to the last. The longer version that records figures is bench/load.ts.
 */
import { runInNewContext } from 'node:vm'
import { setFlagsFromString } from 'node:v8'
import t from 'tap'
import { Agent, request } from 'undici'
import { loadConfig } from '../../src/config.js'
import type { DepEndpoint } from '../../src/dep/index.js'
import { buildServer } from '../../src/server.js'
import { DEPSIM_CREDENTIALS, startSimulator } from '../../src/simulator/index.js'
import { SimState } from '../../src/simulator/state.js'
import { randomAdminKey } from '../helper.js'

const CLIENTS = 200
const WINDOWS = 4
const PER_WINDOW = 500
const FAULT_RATE = 0.05
/** The upstream problems depgate documents; any other 5xx is a failure. */
const DOCUMENTED_5XX: Record<number, string[]> = {
  502: ['UPSTREAM_ERROR', 'UPSTREAM_UNREACHABLE', 'UPSTREAM_INVALID_RESPONSE', 'OAUTH_REJECTED', 'SAME_CURSOR'],
  503: ['UPSTREAM_THROTTLED'],
  504: ['UPSTREAM_TIMEOUT']
}
const HEAP_GROWTH_LIMIT_MIB = 24

/** --expose-gc without a command-line flag (tap starts the process). */
function exposeGc (): () => void {
  setFlagsFromString('--expose-gc')
  return runInNewContext('gc') as () => void
}

/** mulberry32: the same faults in the same order on every run. */
function prng (seed: number): () => number {
  let a = seed
  return () => {
    a = (a + 0x6D2B79F5) | 0
    let x = Math.imul(a ^ (a >>> 15), 1 | a)
    x = (x + Math.imul(x ^ (x >>> 7), 61 | x)) ^ x
    return ((x ^ (x >>> 14)) >>> 0) / 4294967296
  }
}

t.test('200 clients, reads and writes, 5 % of Apple calls faulted', async (t) => {
  const gc = exposeGc()
  const rejections: unknown[] = []
  const onRejection = (reason: unknown): void => { rejections.push(reason) }
  process.on('unhandledRejection', onRejection)
  t.teardown(() => { process.off('unhandledRejection', onRejection) })

  const sim = await startSimulator({ devices: 60 })
  t.teardown(async () => { await sim.close() })
  const adminKey = randomAdminKey()
  const app = await buildServer(loadConfig({
    DEPGATE_ADMIN_KEY: adminKey,
    DEPGATE_DATA_DIR: t.testdir(),
    DEPGATE_RATE_LIMIT: '1000000',
    DEPGATE_LOG_LEVEL: 'silent',
    DEPGATE_SIMULATOR: 'off',
    DEPGATE_MIRROR: 'false'
  }), {
    defaultServer: { token: DEPSIM_CREDENTIALS, baseUrl: sim.url },
    depClientOptions: { retry: { retries: 1, baseDelayMs: 1, maxDelayMs: 5, maxRetryAfterMs: 100 }, timeouts: { connectMs: 1000, headersMs: 500, bodyMs: 1000 } }
  })
  await app.listen({ host: '127.0.0.1', port: 0 })
  const agent = new Agent({ connections: CLIENTS })
  // Registered after the simulator's teardown; tap runs them last first, so depgate closes before it.
  t.teardown(async () => {
    await agent.close()
    app.server.closeAllConnections()
    await app.close()
  })
  const address = app.server.address()
  const base = `http://127.0.0.1:${typeof address === 'object' && address !== null ? address.port : 0}`
  const S = '/v1/servers/default'
  const auth = { authorization: `Bearer ${adminKey}` }
  const serials = sim.app.sim.world.list().map((d) => d.serial_number)
  const defined = await request(`${base}${S}/profiles`, { method: 'POST', headers: { ...auth, 'content-type': 'application/json' }, body: JSON.stringify({ profile_name: 'load', url: 'https://mdm.example.com/enroll' }) })
  const { profile_uuid: uuid } = await defined.body.json() as { profile_uuid: string }

  // Faults: on 5 % of the calls reaching the simulator, one fault for that very call.
  const random = prng(6)
  const state = sim.app.sim
  const kinds: Array<(e: DepEndpoint) => Record<string, unknown>> = [
    (endpoint) => ({ endpoint, kind: 'status', status: 500 }),
    (endpoint) => ({ endpoint, kind: 'status', status: 502 }),
    (endpoint) => ({ endpoint, kind: 'status', status: 503 }),
    (endpoint) => ({ endpoint, kind: 'status', status: 429, retryAfter: 0 }),
    (endpoint) => ({ endpoint, kind: 'drop' }),
    (endpoint) => ({ endpoint, kind: 'truncate' }),
    (endpoint) => ({ endpoint, kind: 'content_type' }),
    (endpoint) => ({ endpoint, kind: 'latency', ms: 1200 })
  ]
  let faulted = 0
  const own = state as unknown as { count: (e: DepEndpoint) => void }
  own.count = (endpoint) => {
    SimState.prototype.count.call(state, endpoint)
    if (random() < FAULT_RATE) {
      faulted++
      state.faults.add(kinds[Math.floor(random() * kinds.length)](endpoint))
    }
  }

  const mix: Array<(i: number) => { method: 'GET' | 'POST' | 'PUT' | 'DELETE', path: string, body?: unknown }> = [
    () => ({ method: 'GET', path: `${S}/account` }),
    (i) => ({ method: 'GET', path: `${S}/devices/${serials[i % serials.length]}` }),
    (i) => ({ method: 'POST', path: `${S}/devices/details`, body: { serials: [serials[i % serials.length], serials[(i + 1) % serials.length]] } }),
    () => ({ method: 'GET', path: `${S}/devices?source=apple&os=iOS` }),
    () => ({ method: 'GET', path: `${S}/profiles/${uuid}` }),
    (i) => ({ method: 'PUT', path: `${S}/profiles/${uuid}/devices`, body: { serials: [serials[i % serials.length]] } }),
    (i) => ({ method: 'DELETE', path: `${S}/devices/profile`, body: { serials: [serials[(i + 7) % serials.length]] } })
  ]
  const statuses = new Map<number, number>()
  const bad: string[] = []
  let sent = 0
  async function client (budget: () => boolean): Promise<void> {
    while (budget()) {
      const i = sent++
      const req = mix[i % mix.length](i)
      const res = await request(`${base}${req.path}`, {
        dispatcher: agent,
        method: req.method,
        headers: req.body === undefined ? auth : { ...auth, 'content-type': 'application/json' },
        body: req.body === undefined ? undefined : JSON.stringify(req.body)
      })
      const text = await res.body.text()
      statuses.set(res.statusCode, (statuses.get(res.statusCode) ?? 0) + 1)
      if (res.statusCode < 400) continue
      const type = String(res.headers['content-type'])
      const code = type.startsWith('application/problem+json') ? (JSON.parse(text) as { code: string }).code : undefined
      if (code === undefined) bad.push(`${req.method} ${req.path}: ${res.statusCode} without problem+json`)
      else if (res.statusCode >= 500 && !(DOCUMENTED_5XX[res.statusCode] ?? []).includes(code)) bad.push(`${req.method} ${req.path}: ${res.statusCode} ${code}`)
      else if (res.statusCode < 500 && res.statusCode !== 429) bad.push(`${req.method} ${req.path}: ${res.statusCode} ${code}`)
    }
  }

  const heaps: number[] = []
  for (let w = 0; w < WINDOWS; w++) {
    const end = sent + PER_WINDOW
    await Promise.all(Array.from({ length: CLIENTS }, async () => { await client(() => sent < end) }))
    gc()
    gc()
    heaps.push(process.memoryUsage().heapUsed / 2 ** 20)
  }
  const summary = [...statuses].sort(([a], [b]) => a - b).map(([s, n]) => `${s}×${n}`).join(' ')
  t.ok(faulted > sent * FAULT_RATE * 0.5, `${faulted} faults injected over ${sent} requests (${summary})`)
  t.ok((statuses.get(200) ?? 0) > sent * 0.8, 'most requests succeeded')
  t.same(bad.slice(0, 10), [], 'only documented upstream problems, each as problem+json')
  t.same(rejections, [], 'no unhandled rejection')
  t.ok(heaps[WINDOWS - 1] - heaps[0] < HEAP_GROWTH_LIMIT_MIB, `heap after GC per window: ${heaps.map((h) => h.toFixed(1)).join(', ')} MiB`)
})
