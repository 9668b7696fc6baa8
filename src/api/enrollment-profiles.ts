/**
 * Named enrollment profiles ("profiles as code"): a definition stored under a name, defined at
 * Apple only when its content changed (the canonical JSON's hash), with every UUID the name was
 * given. Apple's profiles cannot be changed or deleted (docs/apple-dep.md §2.6), so a changed
 * definition is a new UUID and the older ones are kept in the history for the devices still on them.
 */
import type { FastifyInstance, FastifyRequest } from 'fastify'
import { z } from 'zod'
import { checkProfileRules } from './apple-guards.js'
import { profileExample, profileInputSchema } from './profiles.js'
import { serverParamsSchema } from './route-kit.js'
import { REASSIGN_PROFILE_KIND } from '../enrollment/apply-job.js'
import { canonicalJson, contentHash } from '../enrollment/canonical.js'
import { httpProblem } from '../problems.js'
import type { NamedProfileRecord } from '../store/index.js'

export const ENROLLMENT_PROFILE_NAME = /^[A-Za-z0-9._-]{1,64}$/

export const enrollmentProfileNameSchema = z.string()
  .regex(ENROLLMENT_PROFILE_NAME, 'a profile name is 1 to 64 letters, digits, dots, underscores or dashes')
  .meta({ id: 'EnrollmentProfileName', description: '1 to 64 of `A-Z a-z 0-9 . _ -`', examples: ['staff-macs'] })

export const enrollmentProfileParamsSchema = serverParamsSchema.extend({ name: enrollmentProfileNameSchema })

/** Apple's profile fields and rules, without `devices`: devices get a named profile through the rules. */
export const namedProfileDefinitionSchema = profileInputSchema.omit({ devices: true }).meta({
  id: 'EnrollmentProfileDefinition',
  description: 'An enrollment profile\'s definition, with Apple\'s field names and rules (unknown fields are refused).',
  examples: [profileExample]
})

const versionSchema = z.object({
  profile_uuid: z.string().describe('The UUID Apple gave this version'),
  content_hash: z.string().describe('Hex SHA-256 of the definition\'s canonical JSON'),
  defined_at: z.string().describe('When depgate defined it at Apple (ISO-8601, UTC)')
})

export const enrollmentProfileSchema = z.object({
  name: z.string(),
  profile_uuid: z.string().describe('The UUID of the current definition at Apple'),
  content_hash: z.string().describe('Hex SHA-256 of the canonical JSON of `profile`; unchanged content, unchanged hash'),
  defined_at: z.string().describe('When the current definition was defined at Apple (ISO-8601, UTC)'),
  created_at: z.string().describe('When the name was first stored (ISO-8601, UTC)'),
  profile: namedProfileDefinitionSchema,
  history: z.array(versionSchema).describe('Every UUID this name was given, newest (the current one) first')
}).meta({
  id: 'EnrollmentProfile',
  description: 'A named enrollment profile: its definition and the UUIDs Apple gave it.',
  examples: [{
    name: 'staff-macs',
    profile_uuid: '0123456789ABCDEF0123456789ABCDEF',
    content_hash: '9f2c4e0d5a0b1c2d3e4f5a6b7c8d9e0f1a2b3c4d5e6f7a8b9c0d1e2f3a4b5c6d',
    defined_at: '2026-12-07T10:00:00.000Z',
    created_at: '2026-12-01T09:00:00.000Z',
    profile: profileExample,
    history: [{ profile_uuid: '0123456789ABCDEF0123456789ABCDEF', content_hash: '9f2c4e0d5a0b1c2d3e4f5a6b7c8d9e0f1a2b3c4d5e6f7a8b9c0d1e2f3a4b5c6d', defined_at: '2026-12-07T10:00:00.000Z' }]
  }]
})

export const enrollmentProfileListSchema = z.object({
  profiles: z.array(z.object({
    name: z.string(),
    profile_uuid: z.string(),
    content_hash: z.string(),
    defined_at: z.string(),
    device_count: z.number().int().nullable().describe('Devices the mirror shows on the current UUID; null without a ready mirror')
  }))
}).meta({
  id: 'EnrollmentProfileList',
  examples: [{ profiles: [{ name: 'staff-macs', profile_uuid: '0123456789ABCDEF0123456789ABCDEF', content_hash: '9f2c4e0d5a0b1c2d3e4f5a6b7c8d9e0f1a2b3c4d5e6f7a8b9c0d1e2f3a4b5c6d', defined_at: '2026-12-07T10:00:00.000Z', device_count: 120 }] }]
})

export type EnrollmentProfileAnswer = z.output<typeof enrollmentProfileSchema>
type Definition = z.output<typeof namedProfileDefinitionSchema>

export function profileAnswer (r: NamedProfileRecord): EnrollmentProfileAnswer {
  return {
    name: r.name,
    profile_uuid: r.profileUuid,
    content_hash: r.contentHash,
    defined_at: r.definedAt,
    created_at: r.createdAt,
    profile: r.profile as Definition,
    history: r.history.map((v) => ({ profile_uuid: v.profileUuid, content_hash: v.contentHash, defined_at: v.definedAt }))
  }
}

export function profileNotFound (server: string, name: string) {
  return httpProblem(404, 'ENROLLMENT_PROFILE_NOT_FOUND', `Server "${server}" has no enrollment profile named "${name}". GET /v1/servers/${server}/enrollment-profiles lists them.`)
}

/**
 * Stores `profile` under `name`: checked against Apple's rules first, then defined at Apple only
 * when its hash differs from the stored one. `created` says whether the name is new.
 */
export async function putNamedProfile (fastify: FastifyInstance, request: FastifyRequest, server: string, name: string, profile: Definition): Promise<{ created: boolean, answer: EnrollmentProfileAnswer }> {
  const { client } = fastify.depServers.get(server)
  checkProfileRules(profile)
  const hash = contentHash(profile)
  const stored = await fastify.store.enrollment.getProfile(server, name)
  if (stored?.contentHash === hash) return { created: false, answer: profileAnswer(stored) }
  const target = `enrollment-profiles/${name}`
  const detail = `named profile ${JSON.stringify(name)}, profile_name ${JSON.stringify(profile.profile_name)}`
  // checkProfileRules guarantees profile_name and url are present strings.
  const defined = await fastify.auditCall(request, { action: 'profile.define', server, target: null, detail },
    async () => await client.defineProfile(profile as Definition & { profile_name: string, url: string }),
    (result) => ({ detail: `${result.profile_uuid}: ${detail}` }))
  const profileUuid = defined.profile_uuid.toUpperCase()
  const change = stored === undefined ? 'created' : 'changed'
  const { created, record } = await fastify.store.enrollment.putProfile(server, name, { profile: canonicalJson(profile), contentHash: hash, profileUuid },
    fastify.auditRow(request, { action: 'enrollment_profile.put', server, target, detail: `${change}: ${profileUuid} (${hash.slice(0, 12)})` }))
  // Devices on its older UUIDs move to the new one, as a job, when the engine runs.
  if (!created && fastify.assignments !== null) await fastify.jobs.enqueue({ kind: REASSIGN_PROFILE_KIND, server, input: { server, name } })
  return { created, answer: profileAnswer(record) }
}

export async function listNamedProfiles (fastify: FastifyInstance, server: string): Promise<z.output<typeof enrollmentProfileListSchema>> {
  fastify.depServers.get(server)
  const records = await fastify.store.enrollment.listProfiles(server)
  const state = fastify.mirror.enabled ? await fastify.store.mirror.state(server) : undefined
  const ready = state !== undefined && state.ready_at !== null
  return {
    profiles: await Promise.all(records.map(async (r) => ({
      name: r.name,
      profile_uuid: r.profileUuid,
      content_hash: r.contentHash,
      defined_at: r.definedAt,
      device_count: ready ? await fastify.store.mirror.countDevices(server, { filters: { profile_uuid: [r.profileUuid] } }) : null
    })))
  }
}

export async function getNamedProfile (fastify: FastifyInstance, server: string, name: string): Promise<EnrollmentProfileAnswer> {
  fastify.depServers.get(server)
  const record = await fastify.store.enrollment.getProfile(server, name)
  if (record === undefined) throw profileNotFound(server, name)
  return profileAnswer(record)
}

export async function deleteNamedProfile (fastify: FastifyInstance, request: FastifyRequest, server: string, name: string): Promise<void> {
  fastify.depServers.get(server)
  const outcome = await fastify.store.enrollment.deleteProfile(server, name, fastify.auditRow(request, { action: 'enrollment_profile.delete', server, target: `enrollment-profiles/${name}` }))
  if (outcome === 'not_found') throw profileNotFound(server, name)
  if (outcome !== 'deleted') {
    throw httpProblem(409, 'ENROLLMENT_PROFILE_IN_USE', `The enrollment profile "${name}" is named by the assignment rule(s) ${outcome.usedBy.map((r) => JSON.stringify(r)).join(', ')}; change those rules first (PUT /v1/servers/${server}/assignment-rules). Nothing was deleted.`)
  }
  request.audited = true
}
