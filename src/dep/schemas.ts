/**
 * Apple's wire format as zod schemas (docs/apple-dep.md §2.15, micromdm/apple-device-services schemas).
 * Every object is loose so keys Apple adds later survive, every key Apple may omit is optional,
 * and enum-like values (os, profile_status, statuses…) are plain strings: a new value from Apple
 * must not turn a good answer into INVALID_RESPONSE.
 */
import { z } from 'zod'

const str = z.string()
const opt = str.optional()

export const sessionResponseSchema = z.looseObject({ auth_session_token: str })

export const urlLimitSchema = z.looseObject({ default: z.number().int().optional(), maximum: z.number().int().optional() })
export const accountUrlSchema = z.looseObject({ uri: str, http_method: z.array(str).optional(), limit: urlLimitSchema.optional() })

export const accountDetailSchema = z.looseObject({
  server_name: opt,
  server_uuid: opt,
  admin_id: opt,
  facilitator_id: opt,
  org_name: opt,
  org_email: opt,
  org_phone: opt,
  org_address: opt,
  org_id: opt,
  org_id_hash: opt,
  org_type: opt,
  org_version: opt,
  urls: z.array(accountUrlSchema).optional()
})

const deviceFields = {
  model: opt,
  description: opt,
  color: opt,
  asset_tag: opt,
  profile_status: opt,
  profile_uuid: opt,
  profile_assign_time: opt,
  profile_push_time: opt,
  device_assigned_date: opt,
  device_assigned_by: opt,
  os: opt,
  device_family: opt,
  op_type: opt,
  op_date: opt,
  mdm_migration_deadline: opt,
  eid: opt,
  ethernet_mac_address: opt,
  wifi_mac_address: opt,
  bluetooth_mac_address: opt,
  imei: z.array(str).optional(),
  meid: z.array(str).optional(),
  is_replacement_device: z.boolean().optional(),
  released_by_replacement: z.boolean().optional()
}

export const deviceSchema = z.looseObject({ serial_number: str, ...deviceFields })

/** `POST /devices` entries: a serial this server cannot see carries only `response_status`. */
export const deviceDetailSchema = z.looseObject({ serial_number: opt, ...deviceFields, response_status: opt })

export const devicePageSchema = z.looseObject({
  devices: z.array(deviceSchema).default([]),
  cursor: str,
  fetched_until: opt,
  more_to_follow: z.boolean()
})

/** `SUCCESS`, `NOT_ACCESSIBLE`, `FAILED`, `THROTTLED` (assign, v9+), or whatever Apple adds. */
export const deviceStatusSchema = str
const statusMap = z.record(str, deviceStatusSchema)

export const deviceDetailsResponseSchema = z.looseObject({ devices: z.record(str, deviceDetailSchema).default({}) })
export const deviceStatusResponseSchema = z.looseObject({ devices: statusMap.default({}) })

const profileFields = {
  profile_name: str,
  url: str,
  configuration_web_url: opt,
  allow_pairing: z.boolean().optional(),
  is_supervised: z.boolean().optional(),
  is_mandatory: z.boolean().optional(),
  is_mdm_removable: z.boolean().optional(),
  is_multi_user: z.boolean().optional(),
  await_device_configured: z.boolean().optional(),
  auto_advance_setup: z.boolean().optional(),
  is_return_to_service: z.boolean().optional(),
  do_not_use_profile_from_backup: z.boolean().optional(),
  department: opt,
  org_magic: opt,
  support_phone_number: opt,
  support_email_address: opt,
  language: opt,
  region: opt,
  anchor_certs: z.array(str).optional(),
  supervising_host_certs: z.array(str).optional(),
  skip_setup_items: z.array(str).optional()
}

/** What we send to `POST /profile`; Apple's own limits are checked by validateProfile. */
export const profileInputSchema = z.looseObject({ ...profileFields, devices: z.array(str).optional() })

/** What `GET /profile` answers: every field as Apple may omit it, plus the undocumented `profile_uuid`. */
export const profileSchema = z.looseObject({ ...profileInputSchema.partial().shape, profile_uuid: opt })

export const defineProfileResultSchema = z.looseObject({ profile_uuid: str, devices: statusMap.default({}) })

export const assignProfileResultSchema = z.looseObject({
  profile_uuid: opt,
  devices: statusMap.default({}),
  /** v10+: present when at least one device came back THROTTLED. */
  retry_after_seconds: z.number().optional()
})

export const activationLockResultSchema = z.looseObject({ serial_number: str, response_status: str })

export const replacementDetailsSchema = z.looseObject({
  serial_number: str,
  original_device_serial_number: str,
  replacement_date: opt
})

export const betaEnrollmentTokenSchema = z.looseObject({ token: opt, title: opt, os: opt })
export const betaEnrollmentTokensSchema = z.looseObject({
  betaEnrollmentTokens: z.array(betaEnrollmentTokenSchema).default([]),
  /** Seen once in a real answer (docs/apple-dep.md §2.12). */
  seedBuildTokens: z.array(betaEnrollmentTokenSchema).optional()
})

export const adeProfileSchema = z.looseObject({ mdm_service_discovery_url: str, last_updated_timestamp: opt })

export type AccountDetail = z.output<typeof accountDetailSchema>
export type Device = z.output<typeof deviceSchema>
export type DeviceDetail = z.output<typeof deviceDetailSchema>
export type DevicePage = z.output<typeof devicePageSchema>
export type DeviceStatus = z.output<typeof deviceStatusSchema>
export type ProfileInput = z.input<typeof profileInputSchema>
export type Profile = z.output<typeof profileSchema>
export type DefineProfileResult = z.output<typeof defineProfileResultSchema>
export type AssignProfileResult = z.output<typeof assignProfileResultSchema>
export type RemoveProfileResult = z.output<typeof deviceStatusResponseSchema>
export type ActivationLockResult = z.output<typeof activationLockResultSchema>
export type ReplacementDetails = z.output<typeof replacementDetailsSchema>
export type BetaEnrollmentTokens = z.output<typeof betaEnrollmentTokensSchema>
export type AdeProfile = z.output<typeof adeProfileSchema>
