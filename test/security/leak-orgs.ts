/**
 * The org side of the secret-leak test: API accounts whose private keys come in each PEM form
 * Apple has shipped (docs/apple-axm.md §1.1), a dispatcher that records every client assertion
 * depgate signs (on its way to the token endpoint), the org routes driven through Apple's failures,
 * and the secrets to scan for: the private keys, every access token the simulator issued and
 * every client assertion.
 */
import { Agent, type Dispatcher } from 'undici'
import type { StartedSimulator } from '../../src/simulator/index.js'
import { ecPrivateKeySecrets } from './leak-kit.js'

export interface OrgAccount { form: string, org: string, clientId: string, keyId: string, privateKey: string }

type Call = (method: string, path: string, o?: { body?: unknown, raw?: string, headers?: Record<string, string> }) => Promise<{ status: number, text: string }>

/** An undici dispatcher that notes the `client_assertion` of every token request it carries. */
export function assertionRecorder (): { dispatcher: Dispatcher, assertions: Set<string> } {
  const assertions = new Set<string>()
  const dispatcher = new Agent().compose((dispatch) => (opts, handler) => {
    if (typeof opts.body === 'string') {
      const assertion = new URLSearchParams(opts.body).get('client_assertion')
      if (assertion !== null) assertions.add(assertion)
    }
    return dispatch(opts, handler)
  })
  return { dispatcher, assertions }
}

/** One account per PEM form, made by the simulator (which registers its public key). */
export async function makeAccounts (sim: StartedSimulator): Promise<OrgAccount[]> {
  const accounts: OrgAccount[] = []
  for (const form of ['apple', 'sec1', 'pkcs8']) {
    const res = await fetch(`${sim.url}/_sim/axm/keys`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ form }) })
    const made = await res.json() as { clientId: string, keyId: string, privateKey: string }
    accounts.push({ form, org: form === 'apple' ? 'leakorg' : `leakorg-${form}`, ...made })
  }
  return accounts
}

export function orgBody (sim: StartedSimulator, a: OrgAccount): Record<string, string> {
  return { client_id: a.clientId, key_id: a.keyId, private_key: a.privateKey, base_url: sim.url, token_url: `${sim.url}/auth/oauth2/token` }
}

/** Every org read, as JSON, NDJSON, CSV and live from Apple. */
export async function readOrg (call: Call, org: string, serial: string): Promise<void> {
  const O = `/v1/orgs/${org}`
  await call('GET', '/v1/orgs')
  await call('GET', O)
  await call('GET', `${O}/devices?limit=5`)
  await call('GET', `${O}/devices`, { headers: { accept: 'application/x-ndjson' } })
  await call('GET', `${O}/devices`, { headers: { accept: 'text/csv' } })
  await call('GET', `${O}/devices/${serial}`)
  await call('GET', `${O}/devices/${serial}?source=apple`)
  await call('GET', `${O}/mdm-servers`)
}

/** Bad accounts (a key in the wrong place, cut, or for another key id) and Apple failing on every AxM endpoint. */
export async function orgFailures (sim: StartedSimulator, call: Call, accounts: OrgAccount[], serial: string, refresh: () => Promise<void>): Promise<void> {
  const simCall = async (method: string, path: string, body?: unknown) => await fetch(`${sim.url}${path}`, { method, headers: { 'content-type': 'application/json' }, body: body === undefined ? undefined : JSON.stringify(body) })
  const [a, b] = accounts
  const good = orgBody(sim, a)
  for (const body of [
    { ...good, private_key: a.privateKey.slice(0, a.privateKey.length / 2) },
    { ...good, private_key: a.privateKey.replace(/-----[A-Z ]+-----/g, '') },
    { ...good, client_id: a.privateKey },
    { ...good, key_id: b.keyId },
    { ...good, private_key: b.privateKey },
    { ...good, private_key: 42 },
    { ...good, token_url: `ftp://${a.privateKey}` }
  ]) await call('PUT', '/v1/orgs/leakorg-bad', { body })
  await call('PUT', '/v1/orgs/leakorg-bad', { raw: JSON.stringify(good).slice(0, -40) })
  const faults: unknown[] = [
    { kind: 'status', status: 401 }, { kind: 'status', status: 403 }, { kind: 'status', status: 500 },
    { kind: 'status', status: 429, retryAfter: 1 }, { kind: 'truncate' }, { kind: 'content_type' }, { kind: 'drop' }
  ]
  for (const fault of faults) {
    await simCall('POST', '/_sim/faults', { endpoint: '*', times: 0, ...fault as object })
    await simCall('POST', '/_sim/axm/tokens/expire')
    await call('GET', `/v1/orgs/leakorg/devices/${serial}?source=apple`)
    await call('PUT', '/v1/orgs/leakorg-sec1', { body: orgBody(sim, accounts[1]) })
    await refresh()
    await call('GET', '/v1/orgs/leakorg')
    await simCall('DELETE', '/_sim/faults')
  }
  await call('DELETE', '/v1/orgs/leakorg-pkcs8')
}

/** The org secrets to scan for, read once every scenario has run. */
export function orgSecrets (sim: StartedSimulator, accounts: OrgAccount[], assertions: Set<string>): Array<[string, string]> {
  return [
    ...accounts.flatMap((a) => ecPrivateKeySecrets(`org private key (${a.form} PEM)`, a.privateKey)),
    ...[...sim.app.sim.axm.auth.tokens.keys()].map((token, i): [string, string] => [`AxM access token #${i}`, token]),
    ...[...assertions].map((jwt, i): [string, string] => [`client assertion #${i}`, jwt])
  ]
}
