/**
 * What the stored assignment rules would do with one device, decided as the preview and the
 * assignment engine decide (the first rule that matches; src/enrollment/rules.ts).
 */
import type { FastifyInstance } from 'fastify'
import { profileUuids } from './assignment-preview.js'
import { type AssignmentRule, compileRules, decide, type Decision, type DeviceRecord } from '../enrollment/rules.js'

export type DeviceAssignment =
  | { kind: 'no_rules' }
  | { kind: 'no_match', rules: number }
  | { kind: 'match', index: number, name: string, profile: string, decision: Decision }

export async function deviceAssignment (fastify: FastifyInstance, server: string, device: DeviceRecord): Promise<DeviceAssignment> {
  const rules = (await fastify.store.enrollment.getRules(server)).rules as AssignmentRule[]
  if (rules.length === 0) return { kind: 'no_rules' }
  const index = compileRules(rules).first(device)
  if (index === -1) return { kind: 'no_match', rules: rules.length }
  const rule = rules[index]
  // A stored rule always names an existing profile: the store refuses rules that do not, and profiles in use cannot be deleted.
  const profile = (await fastify.store.enrollment.getProfile(server, rule.profile))!
  return { kind: 'match', index, name: rule.name, profile: rule.profile, decision: decide(rule, profileUuids(profile), device) }
}
