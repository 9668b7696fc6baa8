/** A device as the simulator keeps it: Apple's field names (docs/apple-dep.md §2.15.1), every version-gated key present. */
export interface SimDevice {
  serial_number: string
  model?: string
  description?: string
  color?: string
  asset_tag?: string
  profile_status?: 'empty' | 'assigned' | 'pushed' | 'removed'
  profile_uuid?: string
  profile_assign_time?: string
  profile_push_time?: string
  device_assigned_date?: string
  device_assigned_by?: string
  os?: string
  device_family?: string
  mdm_migration_deadline?: string
  eid?: string
  ethernet_mac_address?: string
  wifi_mac_address?: string
  bluetooth_mac_address?: string
  imei?: string[]
  meid?: string[]
  is_replacement_device?: boolean
}

export type OpType = 'added' | 'modified' | 'deleted'

/** One entry of the append-only change log that sync pages through. */
export interface SimEvent {
  op_type: OpType
  op_date: string
  device: SimDevice
  released_by_replacement?: boolean
}

export interface ReplacementInfo {
  original_device_serial_number: string
  replacement_date: string
}
