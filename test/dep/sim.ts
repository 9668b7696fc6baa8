/**
 * Starting the real simulator over HTTP on 127.0.0.1 for the integration tests, plus a tiny
 * client for its control API (no authentication, JSON).
 */
import type { Test } from 'tap'
import { DEPSIM_CREDENTIALS, startSimulator, type SimulatorOptions } from '../../src/simulator/index.js'
import { DepClient, type DepClientEvent, type DepClientOptions } from '../../src/dep/index.js'

export interface Sim {
  url: string
  control: <T = unknown>(method: string, path: string, body?: unknown) => Promise<T>
  stats: () => Promise<{ requests: Record<string, number>, sessionsIssued: number }>
  fault: (fault: Record<string, unknown>) => Promise<void>
  close: () => Promise<void>
}

export async function startSim (t: Test, opts: SimulatorOptions & { port?: number } = {}): Promise<Sim> {
  const started = await startSimulator({ devices: 50, ...opts })
  let closed = false
  const close = async (): Promise<void> => {
    if (closed) return
    closed = true
    await started.close()
  }
  t.teardown(close)
  const control = async <T = unknown>(method: string, path: string, body?: unknown): Promise<T> => {
    const res = await fetch(`${started.url}${path}`, {
      method,
      headers: body === undefined ? {} : { 'content-type': 'application/json' },
      body: body === undefined ? undefined : JSON.stringify(body)
    })
    if (!res.ok) throw new Error(`control ${method} ${path}: ${res.status} ${await res.text()}`)
    return await res.json() as T
  }
  return {
    url: started.url,
    control,
    stats: async () => await control('GET', '/_sim/stats'),
    fault: async (fault) => { await control('POST', '/_sim/faults', fault) },
    close
  }
}

/** A client for the simulator with recorded (instant) retry delays unless `retry.sleep` is given. */
export function simClient (t: Test, sim: { url: string }, opts: Partial<DepClientOptions> = {}): { client: DepClient, events: DepClientEvent[], delays: number[] } {
  const events: DepClientEvent[] = []
  const delays: number[] = []
  const client = new DepClient({
    token: DEPSIM_CREDENTIALS,
    baseUrl: sim.url,
    onEvent: (e) => events.push(e),
    ...opts,
    retry: { sleep: async (ms) => { delays.push(ms) }, ...opts.retry }
  })
  t.teardown(async () => await client.close())
  return { client, events, delays }
}
