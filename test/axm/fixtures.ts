/** The simulator with an AxM API account, and clients for it: what every test/axm file starts from. */
import { request } from 'undici'
import { AxmClient, type AxmClientOptions } from '../../src/axm/index.js'
import { startSimulator, type SimState, type SimulatorOptions } from '../../src/simulator/index.js'

interface Teardown { teardown: (fn: () => unknown) => void }

export interface Account { clientId: string, keyId: string, privateKey: string, publicKey: string }

export interface Org {
  url: string
  sim: SimState
  account: Account
  client: (opts?: Partial<AxmClientOptions>) => AxmClient
  /** A control or API call; `json` is the parsed body (undefined when not JSON). */
  call: (method: string, path: string, body?: unknown, headers?: Record<string, string>) => Promise<{ status: number, json: any, text: string, headers: Record<string, unknown> }>
}

export async function startOrg (t: Teardown, opts: SimulatorOptions = {}, form: 'apple' | 'sec1' | 'pkcs8' = 'apple'): Promise<Org> {
  const started = await startSimulator({ devices: 20, orgDevices: 20, ...opts })
  t.teardown(() => started.close())
  const { url } = started
  const call: Org['call'] = async (method, path, body, headers = {}) => {
    const res = await request(url + path, {
      method: method as 'GET',
      headers: body === undefined ? headers : { 'content-type': 'application/json', ...headers },
      body: body === undefined ? undefined : typeof body === 'string' ? body : JSON.stringify(body)
    })
    const text = await res.body.text()
    let json: unknown
    try { json = JSON.parse(text) } catch { json = undefined }
    return { status: res.statusCode, json, text, headers: res.headers }
  }
  const account = (await call('POST', '/_sim/axm/keys', { form })).json as Account
  const client = (o: Partial<AxmClientOptions> = {}): AxmClient => {
    const c = new AxmClient({ clientId: account.clientId, keyId: account.keyId, privateKey: account.privateKey, baseUrl: url, tokenUrl: `${url}/auth/oauth2/token`, ...o })
    t.teardown(() => c.close())
    return c
  }
  return { url, sim: started.app.sim, account, client, call }
}
