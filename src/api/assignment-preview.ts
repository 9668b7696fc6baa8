/**
 * What the assignment rules would do now, read from the mirror: per rule, the devices it matches
 * and of those the ones it would assign (first 20 serials shown), and the devices no rule matches.
 * Nothing is sent to Apple. The rules tried are the stored ones, or a list the caller sends to see
 * before storing it (checked as a PUT would check it).
 */
import type { FastifyInstance } from 'fastify'
import { z } from 'zod'
import { checkRuleNames, ruleListSchema, unknownProfiles } from './assignment-rules.js'
import { requireMirror } from './mirror-source.js'
import { type AssignmentRule, compileRules, decide, type DeviceRecord, type ProfileUuids } from '../enrollment/rules.js'
import type { NamedProfileRecord } from '../store/index.js'

export const PREVIEW_SERIALS = 20

export const previewBodySchema = z.strictObject({
  rules: ruleListSchema.describe('Rules to try instead of the stored ones')
}).nullish().meta({ id: 'AssignmentRulesPreviewRequest', examples: [{ rules: [{ name: 'Macs', match: { device_family: 'Mac' }, profile: 'staff-macs' }] }] })

const serials = z.array(z.string()).describe(`The first ${PREVIEW_SERIALS} serials, in serial order`)

export const previewSchema = z.object({
  rules: z.array(z.object({
    name: z.string(),
    profile: z.string(),
    profile_uuid: z.string().describe('The named profile\'s current UUID, the one it would assign'),
    matched: z.number().int().describe('Devices this rule is the first match of'),
    to_assign: z.number().int().describe('Of those, the ones it would assign now: no profile, an older UUID of its profile, or (with replace) another profile'),
    already_assigned: z.number().int().describe('Of those, the ones already on the profile\'s current UUID'),
    left_alone: z.number().int().describe('Of those, the ones on another profile, left alone because the rule does not say replace'),
    serials
  })),
  unmatched: z.object({ count: z.number().int(), serials }).describe('Devices no rule matches'),
  devices: z.number().int().describe('Devices the mirror holds (removed ones left out)'),
  synced_at: z.string().nullable().describe('When the mirror last finished a sync with Apple (ISO-8601, UTC)')
}).meta({
  id: 'AssignmentRulesPreview',
  examples: [{
    rules: [{ name: 'Macs', profile: 'staff-macs', profile_uuid: '0123456789ABCDEF0123456789ABCDEF', matched: 120, to_assign: 3, already_assigned: 115, left_alone: 2, serials: ['C02XK1ABCDEF', 'C02XK2ABCDEF', 'C02XK3ABCDEF'] }],
    unmatched: { count: 1, serials: ['DMPXK2ABCDEF'] },
    devices: 121,
    synced_at: '2026-12-07T10:00:00Z'
  }]
})

export type Preview = z.output<typeof previewSchema>

/** The UUIDs a named profile has had: what a rule compares a device's profile with. */
export function profileUuids (p: NamedProfileRecord): ProfileUuids {
  return { current: p.profileUuid, older: new Set(p.history.map((v) => v.profileUuid).filter((u) => u !== p.profileUuid)) }
}

export async function previewRules (fastify: FastifyInstance, server: string, given: AssignmentRule[] | undefined): Promise<Preview> {
  fastify.depServers.get(server)
  const rules = given ?? (await fastify.store.enrollment.getRules(server)).rules as AssignmentRule[]
  checkRuleNames(rules)
  const profiles = new Map((await fastify.store.enrollment.listProfiles(server)).map((p) => [p.name, p]))
  const missing = rules.flatMap((r, index) => (profiles.has(r.profile) ? [] : [{ index, profile: r.profile }]))
  if (missing.length > 0) throw unknownProfiles(server, missing)
  const state = requireMirror(fastify.mirror.enabled, server, await fastify.store.mirror.state(server))

  // Checked above: every rule's profile exists.
  const uuids: ProfileUuids[] = rules.map((r) => profileUuids(profiles.get(r.profile)!))
  const answer: Preview = {
    rules: rules.map((r, i) => ({ name: r.name, profile: r.profile, profile_uuid: uuids[i].current, matched: 0, to_assign: 0, already_assigned: 0, left_alone: 0, serials: [] })),
    unmatched: { count: 0, serials: [] },
    devices: 0,
    synced_at: state.last_success_at
  }
  const { first } = compileRules(rules)
  for await (const batch of fastify.store.mirror.streamDevices(server)) {
    for (const row of batch) {
      const device = JSON.parse(row.record) as DeviceRecord
      answer.devices++
      const index = first(device)
      const slot = index === -1 ? answer.unmatched : answer.rules[index]
      if (index === -1) {
        answer.unmatched.count++
      } else {
        const decision = decide(rules[index], uuids[index], device)
        answer.rules[index].matched++
        if (decision === 'current') answer.rules[index].already_assigned++
        if (decision === 'other_profile') answer.rules[index].left_alone++
        if (decision !== 'assign') continue
        answer.rules[index].to_assign++
      }
      if (slot.serials.length < PREVIEW_SERIALS) slot.serials.push(row.serial_number)
    }
  }
  return answer
}
