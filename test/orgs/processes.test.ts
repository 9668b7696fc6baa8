// @slow: starts and kills depgate processes from the compiled build
/**
 * The org mirror in a real process (`depgate serve` from the build): killed with SIGKILL half way
 * through a refresh (the walk is slowed by a small request budget), the organisation changed while
 * it is down, then restarted: the mirror ends equal to the simulated organisation, every device
 * added to the change feed exactly once and none removed.
 */
import { randomBytes } from 'node:crypto'
import { writeFileSync } from 'node:fs'
import { join } from 'node:path'
import t from 'tap'
import { DEPSIM_CREDENTIALS } from '../../src/simulator/index.js'
import { startSim } from '../dep/sim.js'
import { tempDir, until } from '../helper.js'
import { mirrorDb } from '../mirror/mirror-kit.js'
import { startDepgate } from '../processes-kit.js'

t.test('SIGKILL during an org refresh, then a restart: the org mirror equals the organisation, nothing lost or duplicated', async (t) => {
  const sim = await startSim(t, { devices: 50, orgDevices: 3950, seed: 21 })
  const dir = tempDir(t)
  const tokenFile = join(dir, 'token.json')
  writeFileSync(tokenFile, JSON.stringify(DEPSIM_CREDENTIALS))
  const adminKey = randomBytes(32).toString('base64url')
  const env = {
    DEPGATE_HOST: '127.0.0.1',
    DEPGATE_PORT: '0',
    DEPGATE_DATA_DIR: dir,
    DEPGATE_ADMIN_KEY: adminKey,
    DEPGATE_TOKEN_FILE: tokenFile,
    DEPGATE_DEP_URL: sim.url,
    DEPGATE_SIMULATOR: 'off',
    DEPGATE_LOG_LEVEL: 'info',
    DEPGATE_SYNC_LEASE: '3',
    // A GET every two seconds: the walk of four device pages (after the MDM servers) spans several seconds.
    DEPGATE_ORG_REQUEST_BUDGET: '30'
  }
  const db = mirrorDb(t, { dataDir: dir })
  const state = async () => await db.selectFrom('org_state').selectAll().where('org', '=', 'acme').executeTakeFirst()
  const stored = async () => Number((await db.selectFrom('org_devices').select((e) => e.fn.countAll().as('n')).where('org', '=', 'acme').executeTakeFirstOrThrow()).n)
  const orgTruth = async () => (await sim.control('GET', '/_sim/axm/devices') as { devices: Array<{ serialNumber: string, mdmServer: string | null }> }).devices

  const first = await startDepgate(t, env)
  const account = await sim.control('POST', '/_sim/axm/keys', {}) as { clientId: string, keyId: string, privateKey: string }
  const put = await fetch(`${first.url}/v1/orgs/acme`, {
    method: 'PUT',
    headers: { authorization: `Bearer ${adminKey}`, 'content-type': 'application/json' },
    body: JSON.stringify({ client_id: account.clientId, key_id: account.keyId, private_key: account.privateKey, base_url: sim.url, token_url: `${sim.url}/auth/oauth2/token` })
  })
  t.equal(put.status, 201, 'the org is stored (verified against the simulator)')

  await until('a refresh half way', async () => (await stored()) >= 1000 || undefined, 60_000)
  first.child.kill('SIGKILL')
  await first.exited
  const killedAt = await stored()
  t.ok(killedAt < 4000, `killed half way (${killedAt} of 4000 devices written)`)
  t.equal((await state())?.last_refresh_at ?? null, null, 'no refresh had completed')

  // The organisation changes while depgate is down.
  await sim.control('POST', '/_sim/axm/devices', { count: 300 })
  const truth = await orgTruth()
  await startDepgate(t, { ...env, DEPGATE_ORG_REQUEST_BUDGET: '600' })
  await until('a completed refresh', async () => (await state())?.last_refresh_at != null || undefined, 60_000)

  const rows = await db.selectFrom('org_devices').select(['serial_number', 'mdm_server', 'removed_at']).where('org', '=', 'acme').execute()
  t.equal(rows.length, truth.length, `${truth.length} devices stored`)
  t.same(rows.filter((r) => r.removed_at !== null), [], 'none marked removed')
  const byserial = new Map(rows.map((r) => [r.serial_number, r.mdm_server]))
  t.same(truth.filter((d) => byserial.get(d.serialNumber) !== d.mdmServer), [], 'every device with the MDM server Apple lists')
  const changes = await db.selectFrom('org_changes').select(['serial_number', 'op']).where('org', '=', 'acme').execute()
  const added = new Map<string, number>()
  for (const c of changes) if (c.op === 'added') added.set(c.serial_number, (added.get(c.serial_number) ?? 0) + 1)
  t.equal(added.size, truth.length, 'every device added to the change feed')
  t.same([...added.values()].filter((n) => n !== 1), [], 'each exactly once')
  t.same(changes.filter((c) => c.op === 'removed'), [], 'none removed')
  t.equal((await state())?.device_count, truth.length)
})
