/**
 * Assignment rules: a server's ordered list, replaced whole, with an ETag so two editors cannot
 * overwrite each other. The ETag names the list's revision; a PUT must send the one it read in
 * If-Match once the list holds rules (412 when another edit came first, 428 when it sent none).
 * While the list is empty a PUT may leave If-Match out: there is nothing to overwrite.
 */
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify'
import { z } from 'zod'
import { enrollmentProfileNameSchema } from './enrollment-profiles.js'
import { serialListSchema } from './serials.js'
import type { AssignmentRule } from '../enrollment/rules.js'
import { httpProblem } from '../problems.js'
import type { ExpectedRevision } from '../store/index.js'

const value = (description: string) => z.string().min(1).max(200).optional().describe(description)

export const ruleMatchSchema = z.strictObject({
  device_family: value('Apple\'s device_family, e.g. `Mac`, `iPad` (case-insensitive)'),
  os: value('Apple\'s os, e.g. `OSX`, `iOS` (case-insensitive)'),
  model: value('Glob on Apple\'s model (`*` any characters, `?` one), e.g. `MacBook*` (case-insensitive)'),
  serial_prefix: z.string().regex(/^[A-Za-z0-9]{1,14}$/, 'a serial prefix is 1 to 14 letters or digits').optional().describe('The serial starts with this'),
  serials: serialListSchema().optional().describe('The serial is one of these'),
  description: value('Glob on Apple\'s description, like model'),
  color: value('Apple\'s color (case-insensitive)'),
  device_assigned_by: value('Who assigned the device to the server in Apple Business/School Manager (case-insensitive)')
}).describe('Every field given must match; an empty match matches every device')

export const ruleSchema = z.strictObject({
  name: z.string().min(1).max(64).describe('Unique within the list; shown in previews and assignments'),
  match: ruleMatchSchema.optional(),
  profile: enrollmentProfileNameSchema.describe('The named enrollment profile (PUT …/enrollment-profiles/{name}) this rule assigns'),
  replace: z.boolean().optional().describe('Also assign devices that have another profile (default false: they are left alone)')
}).meta({
  id: 'AssignmentRule',
  description: 'One assignment rule: the first rule a device matches gives it its profile.',
  examples: [{ name: 'Macs', match: { device_family: 'Mac' }, profile: 'staff-macs' }]
})

const MAX_RULES = 1000
export const ruleListSchema = z.array(ruleSchema).max(MAX_RULES, `at most ${MAX_RULES} rules`)

export const rulesBodySchema = z.strictObject({ rules: ruleListSchema }).meta({
  id: 'AssignmentRulesReplacement',
  examples: [{ rules: [{ name: 'Lab iPads', match: { device_family: 'iPad', serial_prefix: 'DMP' }, profile: 'lab-ipads' }, { name: 'Macs', match: { device_family: 'Mac' }, profile: 'staff-macs' }] }]
})

export const rulesAnswerSchema = z.object({
  rules: ruleListSchema,
  etag: z.string().describe('The list\'s version, also in the ETag header: send it back in If-Match to replace the list'),
  updated_at: z.string().nullable().describe('When the list was last replaced (ISO-8601, UTC); null if never')
}).meta({
  id: 'AssignmentRules',
  examples: [{ rules: [{ name: 'Macs', match: { device_family: 'Mac' }, profile: 'staff-macs' }], etag: '"rules-3"', updated_at: '2026-12-07T10:00:00.000Z' }]
})

export type RulesAnswer = z.output<typeof rulesAnswerSchema>

const etagOf = (revision: number): string => `"rules-${revision}"`
const ETAG = /^"rules-(\d{1,15})"$/

/** Refuses a list naming one rule twice (400, with the second one's index). */
export function checkRuleNames (rules: readonly AssignmentRule[]): void {
  const seen = new Set<string>()
  for (const [index, rule] of rules.entries()) {
    if (seen.has(rule.name)) {
      throw httpProblem(400, 'DUPLICATE_RULE_NAME', `Rule ${index} has the name ${JSON.stringify(rule.name)} of an earlier rule; each rule needs a name of its own.`, { errors: [{ field: `body.rules.${index}.name`, message: 'another rule has this name' }] })
    }
    seen.add(rule.name)
  }
}

/** 400 naming each rule (by index) whose profile does not exist. */
export function unknownProfiles (server: string, missing: ReadonlyArray<{ index: number, profile: string }>) {
  const first = missing[0]
  return httpProblem(400, 'UNKNOWN_ENROLLMENT_PROFILE', `Rule ${first.index} names the enrollment profile ${JSON.stringify(first.profile)}, which server "${server}" does not have${missing.length > 1 ? ` (and ${missing.length - 1} more rule(s) name missing profiles)` : ''}; create it first with PUT /v1/servers/${server}/enrollment-profiles/${first.profile}. Nothing was changed.`, {
    errors: missing.map((m) => ({ field: `body.rules.${m.index}.profile`, message: `no enrollment profile named ${JSON.stringify(m.profile)}` }))
  })
}

export async function getRules (fastify: FastifyInstance, reply: FastifyReply, server: string): Promise<RulesAnswer> {
  fastify.depServers.get(server)
  const stored = await fastify.store.enrollment.getRules(server)
  const etag = etagOf(stored.revision)
  reply.header('etag', etag)
  return { rules: stored.rules as AssignmentRule[], etag, updated_at: stored.updatedAt }
}

function expectedRevision (ifMatch: string | undefined): ExpectedRevision {
  if (ifMatch === undefined) return 'empty'
  if (ifMatch.trim() === '*') return 'any'
  const m = ETAG.exec(ifMatch.trim())
  // An ETag this list never had matches no revision.
  return m === null ? -1 : Number(m[1])
}

export async function putRules (fastify: FastifyInstance, request: FastifyRequest, reply: FastifyReply, server: string, rules: AssignmentRule[]): Promise<RulesAnswer> {
  fastify.depServers.get(server)
  checkRuleNames(rules)
  const ifMatch = request.headers['if-match']
  const audit = fastify.auditRow(request, { action: 'assignment_rules.put', server, target: 'assignment-rules', detail: `${rules.length} rule(s)` })
  const written = await fastify.store.enrollment.putRules(server, rules, expectedRevision(ifMatch), audit)
  if (!written.ok) {
    if ('missing' in written) throw unknownProfiles(server, written.missing)
    const current = etagOf(written.conflict.revision)
    if (ifMatch === undefined) {
      throw httpProblem(428, 'IF_MATCH_REQUIRED', `Server "${server}" has assignment rules: send If-Match with the ETag of the list you changed (GET /v1/servers/${server}/assignment-rules answers it; now ${current}), so that no one else's edit is overwritten. Nothing was changed.`, { headers: { etag: current } })
    }
    throw httpProblem(412, 'RULES_CHANGED', `The assignment rules of server "${server}" changed since you read them (If-Match ${ifMatch}, now ${current}). GET them again, redo your change and PUT it with the new ETag. Nothing was changed.`, { headers: { etag: current } })
  }
  request.audited = true
  const etag = etagOf(written.revision)
  reply.header('etag', etag)
  return { rules, etag, updated_at: written.updatedAt }
}
