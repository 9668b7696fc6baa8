/**
 * What the rules want for one device, as the engine (changes from the feed) and the backfill
 * (every device of the mirror) both ask it: the first matching rule's profile when rules.ts's
 * decision is `assign` (the preview's decision), else nothing.
 */
import type { NamedProfileRecord, Wanted } from '../store/index.js'
import { type AssignmentRule, compileRules, decide, type DeviceRecord, type ProfileUuids } from './rules.js'

/** `plan(serial, device)`; a device that is gone (null) wants nothing. */
export type Planner = (serial: string, device: DeviceRecord | null) => Wanted

export function rulePlanner (rules: readonly AssignmentRule[], profiles: readonly NamedProfileRecord[]): Planner {
  const byName = new Map(profiles.map((p) => [p.name, p]))
  const uuids: Array<ProfileUuids | undefined> = rules.map((r) => {
    const p = byName.get(r.profile)
    /* c8 ignore next - the store refuses a rule naming a missing profile, and a profile a rule names */
    if (p === undefined) return undefined
    return { current: p.profileUuid, older: new Set(p.history.map((v) => v.profileUuid).filter((u) => u !== p.profileUuid)) }
  })
  const { first } = compileRules(rules)
  return (serial, device) => {
    if (device === null) return { serial, want: null }
    const index = first(device)
    const profile = uuids[index]
    if (index === -1 || profile === undefined || decide(rules[index], profile, device) !== 'assign') return { serial, want: null }
    return { serial, want: { rule: rules[index].name, profile: rules[index].profile, profileUuid: profile.current } }
  }
}
