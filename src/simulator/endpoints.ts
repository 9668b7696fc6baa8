import type { DepEndpoint } from '../dep/errors.js'

// A Record over the shared DepEndpoint type: the compiler rejects a missing or extra name, so this
// list cannot drift from src/dep/errors.ts, and the simulator does not load that module at run time.
const ZERO: Record<DepEndpoint, 0> = {
  session: 0,
  account: 0,
  fetch_devices: 0,
  sync_devices: 0,
  device_details: 0,
  disown_devices: 0,
  define_profile: 0,
  get_profile: 0,
  assign_profile: 0,
  remove_profile: 0,
  activation_lock: 0,
  replacement_details: 0,
  beta_enrollment_tokens: 0,
  ade_profile_set: 0,
  ade_profile_get: 0,
  ade_profile_delete: 0,
  passthrough: 0
}

export const ENDPOINT_NAMES = Object.keys(ZERO) as DepEndpoint[]

export function zeroCounts (): Record<DepEndpoint, number> {
  return { ...ZERO }
}

export function isEndpoint (value: unknown): value is DepEndpoint {
  return typeof value === 'string' && Object.hasOwn(ZERO, value)
}
