/**
 * The first list of the fault matrix: Apple's endpoints grouped as depgate exposes them. Each group
 * says which Apple endpoint its faults aim at, whether the DEP client retries it (`safe`: reads
 * and idempotent writes; `unsent-only` ones never run twice), whether depgate reads Apple's answer
 * body, and whether it drains cursors (then faults are also armed in the middle of the drain).
 *
 * To add a group (the mirror's sync, say): one entry with a `request` that makes depgate talk to
 * Apple and a `summary` that says what a correct answer looks like.
 */
import type { DepEndpoint } from '../../src/dep/index.js'
import { encodeCursor } from '../../src/simulator/cursors.js'
import type { Answer, Cell } from './harness.js'

export interface Req { method: 'GET' | 'POST' | 'PUT' | 'DELETE', path: string, body?: unknown, ndjson?: boolean }

export interface EndpointGroup {
  name: string
  /** The Apple endpoint the faults aim at. */
  endpoint: DepEndpoint
  /** The DEP client retries it on timeouts, network errors, 429 and 5xx. */
  safe: boolean
  /** depgate parses Apple's body (false: the status is all it needs, e.g. ADE set/delete). */
  readsBody: boolean
  /** Drains Apple's cursors: `sync` sends a cursor on every page, `fetch` from the second on. */
  paged?: 'fetch' | 'sync'
  /** Once per group, before the baseline (define a profile to read, …). */
  setup?: (cell: Cell) => Promise<void>
  /** Per cell, before any fault is armed: what to send (may prepare state, e.g. a fresh cursor). */
  request: (cell: Cell) => Promise<Req>
  /** What must be equal between the fault-free baseline and a recovered answer. */
  summary?: (answer: Answer) => unknown
}

const S = '/v1/servers/default'
const ESCROW = 'a'.repeat(64)

/** A drained list is complete: exactly the devices of the baseline, none lost, none twice. */
const listSummary = (a: Answer): unknown => {
  if (a.lines !== undefined) return { lines: a.lines.length - 1, trailer: a.lines.at(-1)?.count, serials: new Set(a.lines.map((l: any) => l.serial_number)).size }
  const body = a.json()
  return { count: body.count, serials: new Set(body.devices.map((d: any) => d.serial_number)).size }
}

/**
 * A sync cursor as of now (what the end of a full fetch hands out, minted directly: a drain of the
 * growing fleet per cell would cost more than the cell), then changes after it, so the sync has
 * several pages to drain.
 */
async function changedCursor (cell: Cell): Promise<string> {
  const cursor = encodeCursor({ kind: 'sync', seq: cell.sim.world.logLength, issued: cell.sim.now() })
  for (let i = 0; i < cell.changesPerSync; i++) cell.sim.world.add(cell.sim.now())
  return cursor
}

export const GROUPS: EndpointGroup[] = [
  { name: 'account', endpoint: 'account', safe: true, readsBody: true, request: async () => ({ method: 'GET', path: `${S}/account` }) },
  {
    name: 'device list (JSON drain)',
    endpoint: 'fetch_devices',
    safe: true,
    readsBody: true,
    paged: 'fetch',
    request: async () => ({ method: 'GET', path: `${S}/devices?source=apple` }),
    summary: listSummary
  },
  {
    name: 'device list (NDJSON drain)',
    endpoint: 'fetch_devices',
    safe: true,
    readsBody: true,
    paged: 'fetch',
    request: async () => ({ method: 'GET', path: `${S}/devices?source=apple`, ndjson: true }),
    summary: listSummary
  },
  { name: 'one device', endpoint: 'device_details', safe: true, readsBody: true, request: async (c) => ({ method: 'GET', path: `${S}/devices/${c.serial(0)}` }) },
  { name: 'device details', endpoint: 'device_details', safe: true, readsBody: true, request: async (c) => ({ method: 'POST', path: `${S}/devices/details`, body: { serials: [c.serial(0), c.serial(1)] } }) },
  {
    name: 'changes (sync drain)',
    endpoint: 'sync_devices',
    safe: true,
    readsBody: true,
    paged: 'sync',
    request: async (c) => ({ method: 'GET', path: `${S}/devices/changes?cursor=${encodeURIComponent(await changedCursor(c))}` }),
    summary: (a) => ({ count: a.json().count, more: a.json().more_to_follow })
  },
  {
    name: 'profile define',
    endpoint: 'define_profile',
    safe: false,
    readsBody: true,
    request: async (c) => ({ method: 'POST', path: `${S}/profiles`, body: { profile_name: `matrix ${c.n}`, url: 'https://mdm.example.com/enroll' } })
  },
  {
    name: 'profile get',
    endpoint: 'get_profile',
    safe: true,
    readsBody: true,
    setup: async (c) => {
      const res = await c.call({ method: 'POST', path: `${S}/profiles`, body: { profile_name: 'matrix read', url: 'https://mdm.example.com/enroll' } })
      c.profileUuid = res.json().profile_uuid
    },
    request: async (c) => ({ method: 'GET', path: `${S}/profiles/${c.profileUuid}` })
  },
  {
    name: 'profile assign',
    endpoint: 'assign_profile',
    safe: true,
    readsBody: true,
    setup: async (c) => {
      const res = await c.call({ method: 'POST', path: `${S}/profiles`, body: { profile_name: 'matrix assign', url: 'https://mdm.example.com/enroll' } })
      c.profileUuid = res.json().profile_uuid
    },
    request: async (c) => ({ method: 'PUT', path: `${S}/profiles/${c.profileUuid}/devices`, body: { serials: [c.serial(2)] } })
  },
  { name: 'profile remove', endpoint: 'remove_profile', safe: true, readsBody: true, request: async (c) => ({ method: 'DELETE', path: `${S}/devices/profile`, body: { serials: [c.serial(3)] } }) },
  { name: 'activation lock', endpoint: 'activation_lock', safe: false, readsBody: true, request: async (c) => ({ method: 'POST', path: `${S}/devices/${c.serial(4)}/activation-lock`, body: { escrow_key: ESCROW } }) },
  {
    name: 'replacement',
    endpoint: 'replacement_details',
    safe: true,
    readsBody: true,
    // Apple only has details for a device that replaced another one.
    setup: async (c) => { c.sim.world.modify(c.serial(5), c.sim.now(), { is_replacement_device: true }) },
    request: async (c) => ({ method: 'GET', path: `${S}/devices/${c.serial(5)}/replacement` })
  },
  { name: 'beta tokens', endpoint: 'beta_enrollment_tokens', safe: true, readsBody: true, request: async () => ({ method: 'GET', path: `${S}/beta-enrollment-tokens` }) },
  {
    name: 'account-driven enrollment get',
    endpoint: 'ade_profile_get',
    safe: true,
    readsBody: true,
    setup: async (c) => { await c.call({ method: 'PUT', path: `${S}/account-driven-enrollment`, body: { mdm_service_discovery_url: 'https://mdm.example.com/ade' } }) },
    request: async () => ({ method: 'GET', path: `${S}/account-driven-enrollment` })
  },
  {
    name: 'account-driven enrollment set',
    endpoint: 'ade_profile_set',
    safe: true,
    readsBody: false,
    request: async () => ({ method: 'PUT', path: `${S}/account-driven-enrollment`, body: { mdm_service_discovery_url: 'https://mdm.example.com/ade' } })
  }
]

/** The groups of matrix-reads.test.ts; matrix-writes.test.ts takes the rest (two files so tap runs them side by side). */
export const PART_ONE = ['account', 'device list (JSON drain)', 'device list (NDJSON drain)', 'one device', 'device details', 'changes (sync drain)', 'beta tokens']
