/**
 * The org route tests' app: depgate with the simulator's organisation (the DEP server's 20 devices
 * and 30 more), listening on loopback, the org refresher driven by hand on a ManualScheduler, an
 * API account the simulator made, and PUT /v1/orgs/{org}'s body for it.
 */
import type { Test } from 'tap'
import { request } from 'undici'
import { defaultOrgClientFactory } from '../../src/orgs/registry.js'
import { ManualScheduler } from '../../src/scheduler.js'
import { buildTestApp } from '../helper.js'
import { httpCaller } from './http-call.js'

export interface SimAccount { clientId: string, keyId: string, privateKey: string }

export async function startOrgApp (t: Test) {
  const scheduler = new ManualScheduler()
  const ctx = await buildTestApp(t, {
    scheduler,
    simulator: { orgDevices: 30 },
    env: { DEPGATE_ORG_REQUEST_BUDGET: '10000' },
    // Apple unreachable is given up on quickly (the client's deadline is two minutes by default).
    orgs: { refresh: false, clientFactory: (o) => defaultOrgClientFactory(o, { retryDeadlineMs: 200, retryDelayMs: 10 }) }
  })
  const url = await ctx.app.listen({ host: '127.0.0.1', port: 0 })
  const sim = ctx.sim!
  const keyRes = await request(`${sim.url}/_sim/axm/keys`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{}' })
  const account = await keyRes.body.json() as SimAccount
  const body = { client_id: account.clientId, key_id: account.keyId, private_key: account.privateKey, base_url: sim.url, token_url: `${sim.url}/auth/oauth2/token` }
  /** One whole refresh of `org`, run to its end on the hand-driven clock. */
  const refresh = async (org = 'acme'): Promise<void> => {
    await ctx.app.orgs.refresher.tick()
    const run = ctx.app.orgs.refresher.current(org)
    if (run !== undefined) await scheduler.settle(run)
  }
  return { ctx, sim, call: httpCaller(url, ctx.auth), account, body, refresh }
}
