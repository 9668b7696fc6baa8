/**
 * API shapes of GET /v1/audit: the filters, one entry, a page, and the page token. The token is
 * opaque to callers (base64url of `[last id, filter hash]`): reused with other filters, cut short
 * or made up, it is refused with a 400 problem instead of silently listing something else.
 */
import { createHash } from 'node:crypto'
import { z } from 'zod'
import { timestamp } from './timestamps.js'
import type { AuditEntry, AuditQuery } from '../store/index.js'
import { httpProblem } from '../problems.js'
import { queryInteger } from './query-values.js'
import { SERVER_NAME_PATTERN } from './server-info.js'
import { CONTROL_CHARACTER } from './serials.js'

export const MAX_AUDIT_PAGE = 1000
const DEFAULT_AUDIT_PAGE = 100

const instant = (description: string) => z.iso.datetime({ offset: true, error: 'an ISO 8601 date and time with a zone, e.g. 2026-01-05T10:00:00Z' })
  .transform((v) => new Date(v).toISOString())
  .optional().describe(`${description} (ISO 8601 with a zone, e.g. 2026-01-05T10:00:00Z)`)

const text = (max: number, description: string) => z.string().min(1).max(max)
  .refine((v) => !CONTROL_CHARACTER.test(v), 'must not contain control characters')
  .optional().describe(description)

export const auditQuerySchema = z.object({
  key: text(64, 'Only entries by this key id (`bootstrap` for DEPGATE_ADMIN_KEY, `cli` for the command line)'),
  action: text(200, 'Only this action, e.g. `profile.assign`, `key.create`, `devices.disown`'),
  server: z.string().regex(SERVER_NAME_PATTERN, 'is not a server name (1-63 lower-case letters, digits or dashes)').optional().describe('Only entries about this DEP server'),
  since: instant('Only entries at or after this instant'),
  until: instant('Only entries at or before this instant'),
  limit: queryInteger(1, MAX_AUDIT_PAGE).optional().describe(`Entries per page, 1 to ${MAX_AUDIT_PAGE} (default ${DEFAULT_AUDIT_PAGE})`),
  page_token: z.string().min(1).max(500).optional().describe('The `next_page_token` of the previous page; use it with the same filters')
}).refine((q) => q.since === undefined || q.until === undefined || q.since <= q.until, { message: 'since must not be after until', path: ['since'] })

export type AuditQueryInput = z.output<typeof auditQuerySchema>

export const auditEntrySchema = z.object({
  id: z.string().describe('Sortable id; newer entries have greater ids'),
  at: timestamp().describe('When it was written (for an attempt: before Apple was called)'),
  key_id: z.string().nullable().describe('The key that acted; null for depgate itself (first-start key)'),
  action: z.string(),
  server: z.string().nullable(),
  target: z.string().describe('What was acted on'),
  result: z.string().describe('`ok`, the problem code that stopped it, or `pending`: a call to Apple with no outcome written (still running, or depgate stopped during it)'),
  detail: z.string().nullable().describe('Non-secret facts: counts, a summary per status, a profile name'),
  serial_count: z.number().int().nullable().describe('How many serials the action named'),
  serials: z.array(z.string()).nullable().describe('The serials, when at most 1000'),
  serials_sha256: z.string().nullable().describe('Above 1000 serials: hex SHA-256 of the sorted serials joined by newlines'),
  serials_ref: z.string().nullable().describe('Above 1000 serials: where to GET the whole list'),
  finished_at: timestamp().nullable().describe('When the outcome was written')
}).meta({
  id: 'AuditEntry',
  examples: [{
    id: '0mj1x2y3z-0001-9f8e7d6c',
    at: '2026-01-05T10:00:00.000Z',
    key_id: '0a1b2c3d4e5f',
    action: 'profile.assign',
    server: 'default',
    target: '/v1/servers/default/0123456789ABCDEF0123456789ABCDEF',
    result: 'ok',
    detail: '2 serial(s): {"SUCCESS":2}',
    serial_count: 2,
    serials: ['C02XK1ABCDEF', 'DMPXK2ABCDEF'],
    serials_sha256: null,
    serials_ref: null,
    finished_at: '2026-01-05T10:00:01.000Z'
  }]
})

export const auditPageSchema = z.object({
  entries: z.array(auditEntrySchema).describe('Newest first'),
  next_page_token: z.string().nullable().describe('Pass as `page_token` for the next page; null on the last page')
}).meta({ id: 'AuditPage' })

export const auditSerialsSchema = z.object({
  id: z.string(),
  serials: z.array(z.string())
}).meta({ id: 'AuditSerials', examples: [{ id: '0mj1x2y3z-0001-9f8e7d6c', serials: ['C02XK1ABCDEF'] }] })

export const auditIdParamsSchema = z.object({
  id: z.string().regex(/^[0-9a-z]{9}-[0-9a-z]{4}-[0-9a-f]{8}$/, 'is not an audit entry id').describe('The audit entry id')
})

export function auditView (e: AuditEntry): z.infer<typeof auditEntrySchema> {
  return {
    id: e.id,
    at: e.at,
    key_id: e.keyId,
    action: e.action,
    server: e.server ?? null,
    target: e.target,
    result: e.result,
    detail: e.detail ?? null,
    serial_count: e.serialCount ?? null,
    serials: e.serials ?? null,
    serials_sha256: e.serialsSha256 ?? null,
    serials_ref: e.serialsRef ?? null,
    finished_at: e.finishedAt ?? null
  }
}

function filterHash (q: AuditQueryInput): string {
  return createHash('sha256').update(JSON.stringify([q.key, q.action, q.server, q.since, q.until])).digest('base64url').slice(0, 12)
}

const invalidToken = () => httpProblem(400, 'INVALID_PAGE_TOKEN', 'The page_token is not one depgate gave out for these filters. Pass the next_page_token of the previous page unchanged, with the same filters; or leave page_token out to start from the newest entry.', {
  errors: [{ field: 'querystring.page_token', message: 'is not a page token for these filters' }]
})

/** The store query for a request: filters, page size, and where the previous page ended. */
export function auditStoreQuery (q: AuditQueryInput): AuditQuery & { limit: number } {
  let before: string | undefined
  if (q.page_token !== undefined) {
    let parsed: unknown
    try {
      parsed = JSON.parse(Buffer.from(q.page_token, 'base64url').toString('utf8'))
    } catch {
      throw invalidToken()
    }
    if (!Array.isArray(parsed) || parsed.length !== 2 || typeof parsed[0] !== 'string' || parsed[1] !== filterHash(q)) throw invalidToken()
    before = parsed[0]
  }
  const query: AuditQuery & { limit: number } = { limit: q.limit ?? DEFAULT_AUDIT_PAGE }
  if (q.key !== undefined) query.keyId = q.key
  if (q.action !== undefined) query.action = q.action
  if (q.server !== undefined) query.server = q.server
  if (q.since !== undefined) query.since = q.since
  if (q.until !== undefined) query.until = q.until
  if (before !== undefined) query.before = before
  return query
}

/** The page answer: one more row than asked for was read, to know whether another page follows. */
export function auditPage (rows: AuditEntry[], limit: number, q: AuditQueryInput): z.infer<typeof auditPageSchema> {
  const entries = rows.slice(0, limit)
  const more = rows.length > limit
  return {
    entries: entries.map(auditView),
    next_page_token: more ? Buffer.from(JSON.stringify([entries[entries.length - 1].id, filterHash(q)])).toString('base64url') : null
  }
}
