/**
 * The assignment engine's outbox as the API shows it: each device the rules queued, its state,
 * rule, profile, attempts, last result and next attempt (paged by serial); and a retry of the
 * ones that failed, were throttled or gave up.
 */
import type { FastifyInstance } from 'fastify'
import { z } from 'zod'
import { queryChoice, queryInteger } from './query-values.js'
import { serialSchema } from './serials.js'
import { ASSIGNMENT_STATUSES, type AssignmentRow } from '../store/index.js'

export const MAX_ASSIGNMENT_PAGE = 1000
export const DEFAULT_ASSIGNMENT_PAGE = 100

export const assignmentQuerySchema = z.object({
  status: queryChoice(ASSIGNMENT_STATUSES).optional().describe('Only devices in this state'),
  serial: serialSchema.optional().describe('Only this device'),
  limit: queryInteger(1, MAX_ASSIGNMENT_PAGE).optional().describe(`Devices per page, 1 to ${MAX_ASSIGNMENT_PAGE} (default ${DEFAULT_ASSIGNMENT_PAGE})`),
  page_token: z.string().min(1).max(500).optional().describe('The `next_page_token` of the previous page; use it with the same filters')
})

const assignmentSchema = z.object({
  serial: z.string(),
  status: z.enum(ASSIGNMENT_STATUSES).describe('pending: waiting to be sent; succeeded; failed and throttled: sent again at next_attempt_at; gave_up: failed for DEPGATE_ASSIGN_GIVE_UP_DAYS; not_accessible: Apple says the device is not this server\'s, not retried'),
  rule: z.string().describe('The rule that queued it'),
  profile: z.string().describe('The named enrollment profile'),
  profile_uuid: z.string().describe('The profile\'s UUID at Apple that is assigned'),
  attempts: z.number().int().describe('Answers Apple gave for this device (a call that failed as a whole is not one)'),
  last_result: z.string().nullable().describe('Apple\'s last answer for the device: SUCCESS, NOT_ACCESSIBLE, THROTTLED, FAILED'),
  last_error: z.string().nullable().describe('What went wrong last, in a sentence'),
  next_attempt_at: z.string().nullable().describe('When it is sent (again); null once nothing more is to be done (ISO-8601, UTC)'),
  updated_at: z.string()
})

export const assignmentPageSchema = z.object({
  assignments: z.array(assignmentSchema).describe('By serial'),
  next_page_token: z.string().nullable().describe('Pass as `page_token` for the next page; null on the last page')
}).meta({
  id: 'AssignmentPage',
  examples: [{
    assignments: [{ serial: 'C02XK1ABCDEF', status: 'throttled', rule: 'Macs', profile: 'staff-macs', profile_uuid: '0123456789ABCDEF0123456789ABCDEF', attempts: 1, last_result: 'THROTTLED', last_error: 'Apple throttled this assignment; it is sent again at 2026-12-07T11:00:00.000Z.', next_attempt_at: '2026-12-07T11:00:00.000Z', updated_at: '2026-12-07T10:00:00.000Z' }],
    next_page_token: null
  }]
})

export const assignmentRetrySchema = z.object({
  retried: z.number().int().describe('Devices due now: the failed, throttled and given-up ones')
}).meta({ id: 'AssignmentRetry', examples: [{ retried: 3 }] })

const view = (r: AssignmentRow): z.output<typeof assignmentSchema> => ({
  serial: r.serial_number,
  status: r.status as z.output<typeof assignmentSchema>['status'],
  rule: r.rule,
  profile: r.profile,
  profile_uuid: r.profile_uuid,
  attempts: Number(r.attempts),
  last_result: r.last_result,
  last_error: r.last_error,
  next_attempt_at: r.next_attempt_at,
  updated_at: r.updated_at
})

export async function listAssignments (fastify: FastifyInstance, server: string, q: z.output<typeof assignmentQuerySchema>): Promise<z.output<typeof assignmentPageSchema>> {
  fastify.depServers.get(server)
  const limit = q.limit ?? DEFAULT_ASSIGNMENT_PAGE
  // The token is the last serial shown: the next page starts after it.
  const after = q.page_token === undefined ? undefined : Buffer.from(q.page_token, 'base64url').toString('utf8')
  const rows = await fastify.store.assignments.list(server, { status: q.status, serial: q.serial, after, limit: limit + 1 })
  const page = rows.slice(0, limit)
  return {
    assignments: page.map(view),
    next_page_token: rows.length > limit ? Buffer.from(page[page.length - 1].serial_number).toString('base64url') : null
  }
}

export async function retryAssignments (fastify: FastifyInstance, server: string): Promise<z.output<typeof assignmentRetrySchema>> {
  fastify.depServers.get(server)
  const retried = await fastify.store.assignments.retry(server)
  // Here when this replica leads the server; else its leader finds them due at its next look.
  if (retried > 0) fastify.assignments?.kick(server)
  return { retried }
}
