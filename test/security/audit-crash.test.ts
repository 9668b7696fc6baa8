// @slow: starts node processes (depgate serve from the build, or a throwaway one for a dead PID)
/**
 * kill -9 during a call to Apple: `depgate serve` (the build, as in production) is killed while the
 * simulator holds a 1500-serial assignment. The audit log it leaves names the attempt (pending,
 * with the count, the digest and the whole list kept apart), and the key it acknowledged just
 * before has its key.create row: both were committed before anything was answered or sent.
 */
import { randomBytes } from 'node:crypto'
import { writeFileSync } from 'node:fs'
import { join } from 'node:path'
import t from 'tap'
import { DEPSIM_CREDENTIALS } from '../../src/simulator/index.js'
import { createStore, serialsDigest } from '../../src/store/index.js'
import { startSim } from '../dep/sim.js'
import { tempDir, until } from '../helper.js'
import { startDepgate } from '../processes-kit.js'

t.test('an attempt survives kill -9 in the middle of the call it records', async (t) => {
  const sim = await startSim(t, { devices: 5 })
  const dir = tempDir(t)
  const tokenFile = join(dir, 'token.json')
  writeFileSync(tokenFile, JSON.stringify(DEPSIM_CREDENTIALS))
  const adminKey = randomBytes(32).toString('base64url')
  const { child, exited, url } = await startDepgate(t, { DEPGATE_HOST: '127.0.0.1', DEPGATE_PORT: '0', DEPGATE_DATA_DIR: dir, DEPGATE_ADMIN_KEY: adminKey, DEPGATE_TOKEN_FILE: tokenFile, DEPGATE_DEP_URL: sim.url, DEPGATE_SIMULATOR: 'off', DEPGATE_MIRROR: 'false' })
  const call = async (method: string, path: string, body?: unknown) => await fetch(`${url}${path}`, {
    method, headers: { authorization: `Bearer ${adminKey}`, 'content-type': 'application/json' }, ...(body === undefined ? {} : { body: JSON.stringify(body) })
  })

  const key = await (await call('POST', '/v1/keys', { label: 'acknowledged', scope: 'read' })).json() as { id: string }
  // Apple holds the first chunk for 8 s (the simulator's close waits for it): depgate is killed as soon as it arrives.
  await sim.fault({ endpoint: 'remove_profile', kind: 'latency', ms: 8000 })
  const serials = Array.from({ length: 1500 }, (_, i) => `C02K${String(i).padStart(8, '0')}`)
  // A removal: above 1000 serials an assignment becomes a job, audited per chunk.
  call('DELETE', '/v1/servers/default/devices/profile', { serials }).catch(() => {})
  await until('the assignment to reach Apple', async () => ((await sim.stats()) as { requests: Record<string, number> }).requests.remove_profile === 1)
  child.kill('SIGKILL')
  await exited

  const store = await createStore({ dataDir: dir })
  t.teardown(() => store.close())
  const [attempt] = await store.audit.list({ action: 'profile.remove' })
  t.match(attempt, { result: 'pending', finishedAt: undefined, keyId: 'bootstrap', server: 'default', serialCount: 1500, serialsSha256: serialsDigest(serials), serialsRef: `/v1/audit/${attempt.id}/serials`, detail: '1500 serial(s)' }, 'the attempt is visible')
  t.same(await store.audit.serials(attempt.id), serials, 'with the whole list')
  t.match(await store.audit.list({ action: 'key.create' }), [{ result: 'ok', target: `/v1/keys/${key.id}` }], 'the acknowledged key has its row')
})
