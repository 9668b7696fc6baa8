/**
 * The real app with the mirror and the assignment engine on, the simulator over HTTP as `default`:
 * helpers to define profiles and rules, add simulator devices, sync, and read the outbox.
 */
import type { Test } from 'tap'
import type { Scheduler } from '../../src/scheduler.js'
import type { TestDialect } from '../databases.js'
import type { Store } from '../../src/store/index.js'
import { buildTestApp, type TestApp, until, untilReady } from '../helper.js'

export const S = '/v1/servers/default'

export const PROFILE = {
  profile_name: 'Staff Macs',
  url: 'https://mdm.example.com/enroll',
  is_supervised: true,
  is_mdm_removable: false,
  department: 'IT'
}

export interface Row { serial: string, status: string, rule: string, profile: string, profile_uuid: string, attempts: number, last_result: string | null, last_error: string | null, next_attempt_at: string | null, updated_at: string }

export interface EngineApp extends TestApp {
  sim: NonNullable<TestApp['sim']>
  call: (method: 'GET' | 'PUT' | 'POST' | 'DELETE', url: string, payload?: unknown) => Promise<{ statusCode: number, json: () => any, body: string }>
  simCall: (method: 'GET' | 'POST' | 'PATCH' | 'DELETE', url: string, payload?: unknown) => Promise<any>
  /** Defines a named profile; its UUID. */
  profile: (name: string) => Promise<string>
  rules: (rules: unknown[]) => Promise<void>
  /** Adds devices at the simulator (Apple field names). */
  addDevices: (devices: Array<Record<string, unknown>>) => Promise<void>
  sync: () => Promise<void>
  row: (serial: string) => Promise<Row | undefined>
  /** Waits for `serial`'s row to reach `status`. */
  untilStatus: (serial: string, status: string) => Promise<Row>
  until: typeof until
  assignCalls: () => Promise<number>
}

export async function engineApp (t: Test, opts: { devices?: number, scheduler?: Scheduler, env?: Record<string, string>, dialect?: TestDialect, wrapStore?: (store: Store) => Store } = {}): Promise<EngineApp> {
  const built = await buildTestApp(t, {
    env: { DEPGATE_MIRROR: 'true', DEPGATE_ASSIGN: 'true', DEPGATE_FULL_SYNC_MIN_INTERVAL: '0', DEPGATE_SYNC_LEASE: '600', DEPGATE_SYNC_INTERVAL: '86400', ...opts.env },
    simulator: { devices: opts.devices ?? 4 },
    ...(opts.scheduler === undefined ? {} : { scheduler: opts.scheduler }),
    ...(opts.dialect === undefined ? {} : { dialect: opts.dialect }),
    ...(opts.wrapStore === undefined ? {} : { wrapStore: opts.wrapStore })
  })
  const sim = built.sim as NonNullable<TestApp['sim']>
  const simCall = async (method: string, url: string, payload?: unknown) => {
    const res = await sim.app.inject({ method: method as 'GET', url, ...(payload === undefined ? {} : { payload: payload as object }) })
    return res.body === '' ? undefined : res.json()
  }
  const call: EngineApp['call'] = async (method, url, payload) => await built.app.inject({ method, url, headers: built.auth(), ...(payload === undefined ? {} : { payload: payload as object }) })
  const row = async (serial: string): Promise<Row | undefined> => (await call('GET', `${S}/assignments?serial=${serial}`)).json().assignments[0]
  return {
    ...built,
    sim,
    call,
    simCall,
    async profile (name) {
      const res = await call('PUT', `${S}/enrollment-profiles/${name}`, { ...PROFILE, profile_name: name })
      return res.json().profile_uuid as string
    },
    async rules (rules) {
      const res = await call('PUT', `${S}/assignment-rules`, { rules })
      if (res.statusCode !== 200) throw new Error(res.body)
    },
    async addDevices (devices) {
      await simCall('POST', '/_sim/devices', { devices: devices.map((d) => ({ profile_status: 'empty', ...d })) })
    },
    async sync () {
      const res = await call('POST', `${S}/sync?wait=true`)
      if (res.statusCode !== 200) throw new Error(res.body)
    },
    row,
    until,
    untilStatus: async (serial, status) => await until(`${serial} ${status}`, async () => { const r = await row(serial); return r?.status === status && r }),
    assignCalls: async () => ((await simCall('GET', '/_sim/stats')).requests.assign_profile ?? 0) as number
  }
}

export { until, untilReady }
