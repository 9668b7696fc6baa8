/**
 * Assignment rules as the engine and the preview read them: which rule a device matches (the first
 * whose every given field matches; an empty `match` matches every device) and what that rule would
 * do with it. Device fields are Apple's (docs/apple-dep.md §2.3); comparisons ignore case, as an
 * admin types `macos` for Apple's `OSX`-style values and serials are upper-case at Apple.
 */

export const MATCH_FIELDS = ['device_family', 'os', 'model', 'serial_prefix', 'serials', 'description', 'color', 'device_assigned_by'] as const

export interface RuleMatch {
  device_family?: string
  os?: string
  /** Glob: `*` any run of characters, `?` one. */
  model?: string
  serial_prefix?: string
  serials?: string[]
  /** Glob, like model. */
  description?: string
  color?: string
  device_assigned_by?: string
}

export interface AssignmentRule {
  name: string
  match?: RuleMatch
  /** The name of an enrollment profile of the same server. */
  profile: string
  /** Take a device that has another profile too (default: leave it alone). */
  replace?: boolean
}

/** A device as Apple describes it (only strings are read). */
export type DeviceRecord = Readonly<Record<string, unknown>>

/** The UUIDs a named profile has had: the current one and the older ones. */
export interface ProfileUuids {
  current: string
  older: ReadonlySet<string>
}

/**
 * What a rule does with a device it matches: `assign` (no profile, or an older UUID of the rule's
 * profile, or another profile with `replace`), `current` (already on the profile's current UUID),
 * `other_profile` (on a profile the rule must leave alone).
 */
export type Decision = 'assign' | 'current' | 'other_profile'

const text = (device: DeviceRecord, field: string): string => {
  const value = device[field]
  return typeof value === 'string' ? value.toLowerCase() : ''
}

/**
 * `glob` (`*` any run of characters, `?` one character, the rest literal, case-insensitive) as a
 * test of a whole string. Not a regular expression: `*` as `.*` backtracks, and a preview (read
 * scope, rules in its body) with a dozen stars would hold the event loop for seconds a device.
 * This is the greedy two-pointer match: linear in practice, O(text × glob) at worst.
 */
export function globMatcher (glob: string): (value: string) => boolean {
  const pattern = [...glob.toLowerCase()]
  return (value) => {
    const chars = [...value.toLowerCase()]
    let p = 0
    let c = 0
    let star = -1
    let resume = 0
    while (c < chars.length) {
      if (p < pattern.length && (pattern[p] === '?' || (pattern[p] !== '*' && pattern[p] === chars[c]))) {
        p++
        c++
      } else if (p < pattern.length && pattern[p] === '*') {
        star = p++
        resume = c
      } else if (star !== -1) {
        p = star + 1
        c = ++resume
      } else {
        return false
      }
    }
    while (pattern[p] === '*') p++
    return p === pattern.length
  }
}

type Test = (device: DeviceRecord) => boolean

function tests (match: RuleMatch): Test[] {
  const out: Test[] = []
  for (const field of ['device_family', 'os', 'color', 'device_assigned_by'] as const) {
    const wanted = match[field]?.toLowerCase()
    if (wanted !== undefined) out.push((d) => text(d, field) === wanted)
  }
  for (const field of ['model', 'description'] as const) {
    const glob = match[field]
    if (glob !== undefined) {
      const matches = globMatcher(glob)
      out.push((d) => matches(text(d, field)))
    }
  }
  const prefix = match.serial_prefix?.toLowerCase()
  if (prefix !== undefined) out.push((d) => text(d, 'serial_number').startsWith(prefix))
  if (match.serials !== undefined) {
    const serials = new Set(match.serials.map((s) => s.toLowerCase()))
    out.push((d) => serials.has(text(d, 'serial_number')))
  }
  return out
}

/** The rules compiled once: `first(device)` is the index of the first rule the device matches, or -1. */
export function compileRules (rules: readonly AssignmentRule[]): { first: (device: DeviceRecord) => number } {
  const compiled = rules.map((r) => tests(r.match ?? {}))
  return { first: (device) => compiled.findIndex((ts) => ts.every((test) => test(device))) }
}

/** Apple's `profile_status` `empty` or `removed`, or no UUID at all: the device has no profile. */
function hasNoProfile (device: DeviceRecord): boolean {
  const status = text(device, 'profile_status')
  return status === 'empty' || status === 'removed' || text(device, 'profile_uuid') === ''
}

export function decide (rule: AssignmentRule, uuids: ProfileUuids, device: DeviceRecord): Decision {
  if (hasNoProfile(device)) return 'assign'
  const uuid = text(device, 'profile_uuid').toUpperCase()
  if (uuid === uuids.current) return 'current'
  if (uuids.older.has(uuid) || rule.replace === true) return 'assign'
  return 'other_profile'
}
