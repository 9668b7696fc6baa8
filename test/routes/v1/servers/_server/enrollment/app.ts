/**
 * The real app for the enrollment routes: the simulator over HTTP as `default`, the store on the
 * suite's database (DEPGATE_TEST_DATABASE), the mirror on and ready unless asked otherwise.
 */
import type { Test } from 'tap'
import type { AuditEntry } from '../../../../../../src/store/index.js'
import { buildTestApp, type TestApp, until, untilReady } from '../../../../../helper.js'

export const S = '/v1/servers/default'

export const PROFILE = {
  profile_name: 'Staff Macs',
  url: 'https://mdm.example.com/enroll',
  is_supervised: true,
  is_mdm_removable: false,
  department: 'IT',
  language: 'en',
  region: 'US',
  skip_setup_items: ['Siri', 'Privacy']
}

type Method = 'GET' | 'PUT' | 'POST' | 'DELETE'

export interface EnrollApp extends TestApp {
  sim: NonNullable<TestApp['sim']>
  call: (method: Method, url: string, payload?: unknown, headers?: Record<string, string>) => Promise<{ statusCode: number, headers: Record<string, unknown>, json: () => any }>
  simCall: (method: Method | 'PATCH', url: string, payload?: unknown) => Promise<any>
  /** How many profiles the simulator was asked to define. */
  defines: () => Promise<number>
}

export async function enrollApp (t: Test, { devices = 12, mirror = true }: { devices?: number, mirror?: boolean } = {}): Promise<EnrollApp> {
  const built = await buildTestApp(t, { env: { DEPGATE_MIRROR: String(mirror), DEPGATE_FULL_SYNC_MIN_INTERVAL: '0' }, simulator: { devices } })
  const sim = built.sim as NonNullable<TestApp['sim']>
  await built.app.ready()
  if (mirror) await untilReady(built.app)
  const simCall = async (method: string, url: string, payload?: unknown) => {
    const res = await sim.app.inject({ method: method as 'GET', url, ...(payload === undefined ? {} : { payload: payload as object }) })
    return res.body === '' ? undefined : res.json()
  }
  return {
    ...built,
    sim,
    simCall,
    call: async (method, url, payload, headers = {}) => await built.app.inject({ method, url, headers: { ...built.auth(), ...headers }, ...(payload === undefined ? {} : { payload: payload as object }) }),
    defines: async () => ((await simCall('GET', '/_sim/stats')).requests.define_profile ?? 0) as number
  }
}

/** The `count` audit entries of `action`, newest first; waits for them (a refusal's is written after the answer). */
export async function audited (m: TestApp, action: string, count: number): Promise<AuditEntry[]> {
  return await until(`${count} audit entries ${action}`, async () => {
    const rows = (await m.store.audit.list({ limit: 100 })).filter((e) => e.action === action)
    return rows.length === count && rows
  })
}
