/**
 * The demo's org: when `depgate serve` runs the embedded simulator, the simulator's organisation is
 * also org `default` (an API account registered at the simulator's AxM side), and the simulated DEP
 * server is linked to it, so every org recipe and the joined device view work without Apple. The
 * simulator keeps its accounts in memory and listens on a new port at each start, so each start
 * registers the stored account's key again and points the org at the new address: the org, its
 * key and its mirror stay the same across restarts. An org `default` of an admin's (one that does
 * not point at a simulator on this machine) is left alone.
 */
import { createPublicKey } from 'node:crypto'
import { loadPrivateKey } from './axm/index.js'
import type { DepServerRegistry } from './servers/types.js'
import type { OrgRecord, Store } from './store/index.js'

export const DEMO_ORG = 'default'
const TOKEN_PATH = '/auth/oauth2/token'

export interface DemoOrg {
  org: string
  /** The simulated DEP server's id among the org's MDM servers. */
  mdmServer: string
  created: boolean
}

/** An org that points at a simulator on this machine (this demo's, from an earlier start), not at Apple. */
function isDemo (org: OrgRecord): boolean {
  return org.baseUrl?.startsWith('http://127.0.0.1:') === true && org.tokenUrl === `${org.baseUrl}${TOKEN_PATH}`
}

/** A call to the simulator's control API (/_sim), which answers JSON. */
async function control<T> (url: string, method: 'GET' | 'POST', body?: unknown): Promise<T> {
  const res = await fetch(url, body === undefined ? { method } : { method, headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) })
  if (!res.ok) throw new Error(`the embedded simulator answered ${res.status} to ${method} ${url}: ${await res.text()}`)
  return await res.json() as T
}

/** Registers (again) the API account of org `default` at the simulator and stores the org; undefined when `default` is an admin's own org. */
export async function setUpDemoOrg (store: Store, simulatorUrl: string): Promise<DemoOrg | undefined> {
  const existing = await store.orgs.get(DEMO_ORG)
  if (existing !== undefined && !isDemo(existing)) return undefined
  let account: { clientId: string, keyId: string, privateKey: string }
  if (existing === undefined) {
    account = await control(`${simulatorUrl}/_sim/axm/keys`, 'POST', {})
  } else {
    const publicKey = createPublicKey(loadPrivateKey(existing.privateKeyPem)).export({ type: 'spki', format: 'pem' }).toString()
    await control(`${simulatorUrl}/_sim/axm/accounts`, 'POST', { clientId: existing.clientId, keyId: existing.keyId, publicKey })
    account = { clientId: existing.clientId, keyId: existing.keyId, privateKey: existing.privateKeyPem }
  }
  const input = { clientId: account.clientId, keyId: account.keyId, privateKeyPem: account.privateKey, baseUrl: simulatorUrl, tokenUrl: `${simulatorUrl}${TOKEN_PATH}`, scope: 'business.api' }
  const audit = () => ({ keyId: null, action: 'org.put', target: `/v1/orgs/${DEMO_ORG}`, result: 'ok', detail: 'demo org at the embedded simulator' })
  await store.orgs.upsert(DEMO_ORG, input, existing === undefined ? audit : undefined)
  // The simulator starts from its seed again: the mirror is read afresh from it.
  await store.orgMirror.requestRefresh(DEMO_ORG)
  const { depServerId } = await control<{ depServerId: string }>(`${simulatorUrl}/_sim/axm/servers`, 'GET')
  return { org: DEMO_ORG, mdmServer: depServerId, created: existing === undefined }
}

/** Links the simulated DEP server to the demo org, unless it is linked already (to it, or by an admin to another). */
export async function linkDemoServer (servers: DepServerRegistry, server: string, demo: DemoOrg): Promise<void> {
  if (servers.get(server).orgLink !== undefined) return
  await servers.link(server, {
    link: { org: demo.org, mdmServer: demo.mdmServer },
    audit: { keyId: null, action: 'server.org', target: `/v1/servers/${server}`, result: 'ok', detail: `demo: linked to org ${demo.org} (MDM server ${demo.mdmServer})` }
  })
}
