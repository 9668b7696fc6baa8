import type { ServerToken } from '../dep/token.js'

/**
 * Apple's depsim ships with these fixed OAuth values (docs/apple-dep.md §5.1); clients written for depsim
 * hard-code them, so they are the simulator's default credentials. They are public test values,
 * not secrets, which is why printing them at start is fine.
 */
export const DEPSIM_CREDENTIALS: ServerToken = Object.freeze({
  consumer_key: 'CK_48dd68d198350f51258e885ce9a5c37ab7f98543c4a697323d75682a6c10a32501cb247e3db08105db868f73f2c972bdb6ae77112aea803b9219eb52689d42e6',
  consumer_secret: 'CS_34c7b2b531a600d99a0e4edcf4a78ded79b86ef318118c2f5bcfee1b011108c32d5302df801adbe29d446eb78f02b13144e323eb9aad51c79f01e50cb45c3a68',
  access_token: 'AT_927696831c59ba510cfe4ec1a69e5267c19881257d4bca2906a99d0785b785a6f6fdeb09774954fdd5e2d0ad952e3af52c6d8d2f21c924ba0caf4a031c158b89',
  access_secret: 'AS_c31afd7a09691d83548489336e8ff1cb11b82b6bca13f793344496a556b1f4972eaff4dde6deb5ac9cf076fdfa97ec97699c34d515947b9cf9ed31c99dded6ba',
  access_token_expiry: '2099-12-31T23:59:59Z'
})

/** Behaviour that can be changed while the simulator runs (`PATCH /_sim/config`). */
export interface SimulatorConfig {
  /** Send a fresh `X-ADM-Auth-Session` header on every successful authenticated answer (docs/apple-dep.md §1.3). */
  rotateSessions: boolean
  /** depsim wraps error codes in double quotes (docs/apple-dep.md §4.3). */
  quoteErrors: boolean
  /** false: `/session` and API calls answer 403 `T_C_NOT_SIGNED`. */
  termsSigned: boolean
  /** true: `/session` and API calls answer 403 `ACCESS_DENIED`. */
  accessDenied: boolean
  /** false: the account-driven enrollment endpoints answer 400 `ORG_NOT_SUPPORTED`. */
  adeSupported: boolean
  /** false: beta tokens answer 403 `APPLE_SEED_FOR_IT_TURNED_OFF`. */
  betaAccess: boolean
  /** false: activation lock answers the per-device status `ORG_NOT_SUPPORTED`. */
  activationLockSupported: boolean
  /** Session lifetime. Unknown at Apple (micromdm assumes 3 min), hence configurable. */
  sessionTtlMs: number
  /** Accepted OAuth timestamp skew, in seconds. Undocumented at Apple. */
  timestampWindowSec: number
  /** A User-Agent containing any of these substrings gets 400 `USER_AGENT_INVALID` (Apple's rule is Unknown). */
  userAgentDenyList: string[]
  /** Serials that always get the per-device status `FAILED` (assign, define, remove, disown, details, lock). */
  failSerials: string[]
  /** Serials that always get `THROTTLED` on assign (protocol ≥ 9). */
  throttleSerials: string[]
  /** `retry_after_seconds` sent with throttled assignments (protocol ≥ 10). */
  throttleRetryAfterSec: number
  /** Fetch/sync page size when `limit` is absent (Apple: 100). */
  defaultLimit: number
  /** Larger limits are clamped to this (Apple: 1000). */
  maxLimit: number
  /**
   * What a non-positive or non-integer `limit` gets. Unknown at Apple (no INVALID_LIMIT code exists
   * anywhere): `reject` answers 400 `MALFORMED_REQUEST_BODY`, `default` silently uses defaultLimit.
   */
  invalidLimit: 'reject' | 'default'
  /** Status of `DEVICE_NOT_FOUND` on replacement details: Apple documents 404, answers 400 (docs/apple-dep.md §2.11). */
  replacementNotFoundStatus: number
  /** `org_type` in GET /account (v3+). */
  orgType: 'edu' | 'org'
  /** AxM access token lifetime (Apple: `expires_in` 3600, docs/apple-axm.md §1.4). */
  axmTokenTtlSec: number
  /** Accepted `iat` skew of a client assertion, in seconds (undocumented at Apple). */
  axmAssertionSkewSec: number
  /** Refuse an assertion whose `iss` is not the client id (whether Apple checks it is unknown). */
  axmRequireIss: boolean
  /** How long an activity stays IN_PROGRESS (Apple's example: 11 s). */
  axmActivityMs: number
  /** How long after completion an activity's effects show (Apple: eventually consistent, 5–15 s). */
  axmConsistencyLagMs: number
  /** The linkage of an unassigned device: 200 with `data: null`, or 404 (both reported). */
  axmUnassignedLinkage: 'null' | '404'
  /** Serials every activity reports FAILED. */
  axmFailSerials: string[]
  /** Per-account rate limits on the AxM API (single-source numbers: off unless asked for). */
  axmRateLimit: boolean
  axmGetPerMinute: number
  axmPostPerHour: number
}

export interface SimulatorOptions extends Partial<SimulatorConfig> {
  /** Devices generated at start, default 500. */
  devices?: number
  /** Seed of the device generator, default 1. */
  seed?: number
  credentials?: ServerToken
  /** ms epoch; the control API's clock offset is added on top. */
  clock?: () => number
  /** Fastify's logger; off by default. */
  logger?: boolean
  /** Devices of the AxM organisation that are not on the DEP server (default 100). */
  orgDevices?: number
}

export const DEFAULT_CONFIG: SimulatorConfig = {
  rotateSessions: false,
  quoteErrors: false,
  termsSigned: true,
  accessDenied: false,
  adeSupported: true,
  betaAccess: true,
  activationLockSupported: true,
  sessionTtlMs: 3 * 60_000,
  timestampWindowSec: 300,
  userAgentDenyList: ['godep/'],
  failSerials: [],
  throttleSerials: [],
  throttleRetryAfterSec: 60,
  defaultLimit: 100,
  maxLimit: 1000,
  invalidLimit: 'reject',
  replacementNotFoundStatus: 400,
  orgType: 'org',
  axmTokenTtlSec: 3600,
  axmAssertionSkewSec: 300,
  axmRequireIss: false,
  axmActivityMs: 11_000,
  axmConsistencyLagMs: 5_000,
  axmUnassignedLinkage: 'null',
  axmFailSerials: [],
  axmRateLimit: false,
  axmGetPerMinute: 20,
  axmPostPerHour: 10
}

type Check = (v: unknown) => boolean
const isBool: Check = (v) => typeof v === 'boolean'
const isPositiveInt: Check = (v) => Number.isSafeInteger(v) && (v as number) > 0
const isNonNegativeInt: Check = (v) => Number.isSafeInteger(v) && (v as number) >= 0
const isStrings: Check = (v) => Array.isArray(v) && v.every((s) => typeof s === 'string')

const CHECKS: Record<keyof SimulatorConfig, Check> = {
  rotateSessions: isBool,
  quoteErrors: isBool,
  termsSigned: isBool,
  accessDenied: isBool,
  adeSupported: isBool,
  betaAccess: isBool,
  activationLockSupported: isBool,
  sessionTtlMs: isPositiveInt,
  timestampWindowSec: isPositiveInt,
  userAgentDenyList: isStrings,
  failSerials: isStrings,
  throttleSerials: isStrings,
  throttleRetryAfterSec: isNonNegativeInt,
  defaultLimit: isPositiveInt,
  maxLimit: isPositiveInt,
  invalidLimit: (v) => v === 'reject' || v === 'default',
  replacementNotFoundStatus: (v) => v === 400 || v === 404,
  orgType: (v) => v === 'edu' || v === 'org',
  axmTokenTtlSec: isPositiveInt,
  axmAssertionSkewSec: isNonNegativeInt,
  axmRequireIss: isBool,
  axmActivityMs: isPositiveInt,
  axmConsistencyLagMs: isNonNegativeInt,
  axmUnassignedLinkage: (v) => v === 'null' || v === '404',
  axmFailSerials: isStrings,
  axmRateLimit: isBool,
  axmGetPerMinute: isPositiveInt,
  axmPostPerHour: isPositiveInt
}

/**
 * Applies a partial config, checking every value; returns the name of the first bad key (and
 * changes nothing) so the control API can say what was wrong.
 */
export function applyConfig (config: SimulatorConfig, patch: Record<string, unknown>): string | undefined {
  for (const [key, value] of Object.entries(patch)) {
    if (value === undefined) continue
    const check = CHECKS[key as keyof SimulatorConfig]
    if (check === undefined || !check(value)) return key
  }
  for (const [key, value] of Object.entries(patch)) {
    if (value !== undefined) (config as unknown as Record<string, unknown>)[key] = value
  }
  return undefined
}
