import type { SimDevice, SimEvent } from './types.js'

/** `X-Server-Protocol-Version`; a missing or unreadable header means version 1 (docs/apple-dep.md §1.5). */
export function protocolVersion (value: string | undefined): number {
  if (value === undefined || !/^\s*\d+\s*$/.test(value)) return 1
  return Number(value)
}

const V10_DEVICE_KEYS = ['eid', 'ethernet_mac_address', 'wifi_mac_address', 'bluetooth_mac_address', 'imei', 'meid', 'is_replacement_device'] as const

/** A device as a client speaking `version` sees it: later keys dropped, iPadOS reported as iOS before v7. */
export function deviceView (device: SimDevice, version: number): Record<string, unknown> {
  const out: Record<string, unknown> = { ...device }
  if (version < 2) {
    delete out.os
    delete out.device_family
  } else if (version < 7 && out.os === 'iPadOS') {
    out.os = 'iOS'
  }
  if (version < 8) delete out.mdm_migration_deadline
  if (version < 10) for (const key of V10_DEVICE_KEYS) delete out[key]
  return out
}

/** A sync record: the device as it was, plus `op_type` / `op_date` (and `released_by_replacement`, v10). */
export function eventView (event: SimEvent, version: number): Record<string, unknown> {
  const out = deviceView(event.device, version)
  out.op_type = event.op_type
  out.op_date = event.op_date
  if (event.released_by_replacement === true && version >= 10) out.released_by_replacement = true
  return out
}

const V3_ACCOUNT_KEYS = ['org_id', 'org_id_hash', 'org_type', 'org_version', 'urls']

export function accountView (account: Record<string, unknown>, version: number): Record<string, unknown> {
  const out = { ...account }
  if (version < 3) for (const key of V3_ACCOUNT_KEYS) delete out[key]
  return out
}

const V2_PROFILE_KEYS = ['auto_advance_setup', 'await_device_configured', 'is_multi_user', 'support_email_address']

export function profileView (profile: Record<string, unknown>, version: number): Record<string, unknown> {
  const out = { ...profile }
  if (version < 2) for (const key of V2_PROFILE_KEYS) delete out[key]
  return out
}

/** Before v9 Apple had no THROTTLED; the closest older answer is FAILED ("retry later"). */
export function assignStatus (status: string, version: number): string {
  return status === 'THROTTLED' && version < 9 ? 'FAILED' : status
}
