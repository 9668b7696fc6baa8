/**
 * API shapes of /v1/jobs: a job, the list's filters and pages, a job's per-serial results. Page
 * tokens are opaque to callers, like the audit log's (audit.ts): base64url of where the page
 * ended plus a hash of the filters, so a token reused with other filters is refused, not followed.
 */
import { createHash } from 'node:crypto'
import { z } from 'zod'
import { queryInteger } from './query-values.js'
import { SERVER_NAME_PATTERN } from './server-info.js'
import { timestamp } from './timestamps.js'
import { httpProblem } from '../problems.js'
import { JOB_STATES, type JobRecord, type JobResult } from '../jobs/types.js'
import type { JobListQuery, JobResultsQuery } from '../store/index.js'

export const MAX_JOB_PAGE = 1000
const DEFAULT_JOB_PAGE = 100

const JOB_ID_EXAMPLE = '3f1c2b9e-8a4d-4c1e-9b7a-2d5e6f708192'

export const jobParamsSchema = z.object({
  id: z.uuid('is not a job id (a UUID)').describe('The job id, from the answer that started it or from GET /v1/jobs')
})

export const jobSchema = z.object({
  id: z.string().describe('The job id (a UUID)'),
  kind: z.string().describe('What the job does: `assign_profile` (a large or asynchronous PUT …/profiles/{uuid}/devices), and the kinds of the enrollment engines'),
  server: z.string().nullable().describe('The DEP server the job works on'),
  org: z.string().nullable().describe('The organisation (Apple Business Manager API) the job works on'),
  state: z.enum(JOB_STATES).describe('`queued` (waiting for a replica), `running`, then `succeeded`, `failed` (see `error`) or `cancelled`'),
  progress: z.object({
    done: z.number().int().describe('Serials (or steps) done'),
    total: z.number().int().nullable().describe('How many there are; null until known')
  }),
  created_at: timestamp(),
  started_at: timestamp().nullable().describe('When a replica first took it up'),
  finished_at: timestamp().nullable(),
  summary: z.record(z.string(), z.unknown()).nullable().describe('The outcome once succeeded, e.g. the count of serials per Apple status'),
  error: z.object({
    code: z.string().describe('A problem code (see the README\'s error codes) or JOB_FAILED'),
    message: z.string()
  }).nullable().describe('Why a failed job failed'),
  cancel_requested: z.boolean().describe('A cancel was asked for; a running job stops after the call to Apple in flight')
}).meta({
  id: 'Job',
  examples: [{
    id: JOB_ID_EXAMPLE,
    kind: 'assign_profile',
    server: 'default',
    org: null,
    state: 'running',
    progress: { done: 1000, total: 2500 },
    created_at: '2026-01-05T10:00:00.000Z',
    started_at: '2026-01-05T10:00:00.050Z',
    finished_at: null,
    summary: null,
    error: null,
    cancel_requested: false
  }]
})

export function jobView (job: JobRecord): z.infer<typeof jobSchema> {
  return job
}

export const jobListQuerySchema = z.object({
  state: z.enum(JOB_STATES).optional().describe('Only jobs in this state'),
  kind: z.string().regex(/^[a-z][a-z0-9_]{0,63}$/, 'is not a job kind (lower-case letters, digits and _)').optional().describe('Only jobs of this kind, e.g. `assign_profile`'),
  server: z.string().regex(SERVER_NAME_PATTERN, 'is not a server name (1-63 lower-case letters, digits or dashes)').optional().describe('Only jobs working on this DEP server'),
  limit: queryInteger(1, MAX_JOB_PAGE).optional().describe(`Jobs per page, 1 to ${MAX_JOB_PAGE} (default ${DEFAULT_JOB_PAGE})`),
  page_token: z.string().min(1).max(500).optional().describe('The `next_page_token` of the previous page; use it with the same filters')
})

export const jobPageSchema = z.object({
  jobs: z.array(jobSchema).describe('Newest first'),
  next_page_token: z.string().nullable().describe('Pass as `page_token` for the next page; null on the last page')
}).meta({ id: 'JobPage' })

export const jobResultsQuerySchema = z.object({
  status: z.string().regex(/^[A-Z_]{1,64}$/, 'is not a status (upper-case letters and _, e.g. FAILED)').optional().describe('Only serials with this status, e.g. `FAILED`, `THROTTLED`, `NOT_ACCESSIBLE`'),
  limit: queryInteger(1, MAX_JOB_PAGE).optional().describe(`Serials per page, 1 to ${MAX_JOB_PAGE} (default ${DEFAULT_JOB_PAGE})`),
  page_token: z.string().min(1).max(500).optional().describe('The `next_page_token` of the previous page; use it with the same `status`')
})

export const jobResultSchema = z.object({
  serial: z.string(),
  status: z.string().describe('Apple\'s status for the serial: SUCCESS, NOT_ACCESSIBLE, FAILED or THROTTLED'),
  detail: z.string().nullable().describe('More about it, when there is more'),
  at: timestamp().describe('When it was recorded')
})

export const jobResultsPageSchema = z.object({
  id: z.string().describe('The job id'),
  results: z.array(jobResultSchema).describe('By serial'),
  next_page_token: z.string().nullable().describe('Pass as `page_token` for the next page; null on the last page')
}).meta({
  id: 'JobResultsPage',
  examples: [{ id: JOB_ID_EXAMPLE, results: [{ serial: 'C02XK1ABCDEF', status: 'SUCCESS', detail: null, at: '2026-01-05T10:00:01.000Z' }], next_page_token: null }]
})

const hash = (filters: unknown[]): string => createHash('sha256').update(JSON.stringify(filters)).digest('base64url').slice(0, 12)

function invalidToken (): Error {
  return httpProblem(400, 'INVALID_PAGE_TOKEN', 'The page_token is not one depgate gave out for these filters. Pass the next_page_token of the previous page unchanged, with the same filters; or leave page_token out to start from the first page.', {
    errors: [{ field: 'querystring.page_token', message: 'is not a page token for these filters' }]
  })
}

/** The positions a token holds (all strings), or a 400 when it is not one of ours for these filters. */
function readToken (token: string, filters: unknown[], positions: number): string[] {
  let parsed: unknown
  try {
    parsed = JSON.parse(Buffer.from(token, 'base64url').toString('utf8'))
  } catch {
    throw invalidToken()
  }
  if (!Array.isArray(parsed) || parsed.length !== positions + 1 || parsed[positions] !== hash(filters) || !parsed.slice(0, positions).every((p) => typeof p === 'string')) throw invalidToken()
  return parsed.slice(0, positions) as string[]
}

const writeToken = (position: string[], filters: unknown[]): string => Buffer.from(JSON.stringify([...position, hash(filters)])).toString('base64url')

type ListInput = z.output<typeof jobListQuerySchema>
const listFilters = (q: ListInput): unknown[] => [q.state, q.kind, q.server]

export function jobStoreQuery (q: ListInput): JobListQuery {
  const query: JobListQuery = { limit: q.limit ?? DEFAULT_JOB_PAGE }
  if (q.state !== undefined) query.state = q.state
  if (q.kind !== undefined) query.kind = q.kind
  if (q.server !== undefined) query.server = q.server
  if (q.page_token !== undefined) {
    const [createdAt, id] = readToken(q.page_token, listFilters(q), 2)
    query.after = { createdAt, id }
  }
  return query
}

/** The page answer: one more row than asked for was read, to know whether another page follows. */
export function jobPage (rows: JobRecord[], limit: number, q: ListInput): z.infer<typeof jobPageSchema> {
  const jobs = rows.slice(0, limit)
  const last = jobs[jobs.length - 1]
  return { jobs: jobs.map(jobView), next_page_token: rows.length > limit ? writeToken([last.created_at, last.id], listFilters(q)) : null }
}

type ResultsInput = z.output<typeof jobResultsQuerySchema>

export function jobResultsStoreQuery (q: ResultsInput): JobResultsQuery {
  const query: JobResultsQuery = { limit: q.limit ?? DEFAULT_JOB_PAGE }
  if (q.status !== undefined) query.status = q.status
  if (q.page_token !== undefined) query.after = readToken(q.page_token, [q.status], 1)[0]
  return query
}

export function jobResultsPage (id: string, rows: JobResult[], limit: number, q: ResultsInput): z.infer<typeof jobResultsPageSchema> {
  const results = rows.slice(0, limit)
  return { id, results, next_page_token: rows.length > limit ? writeToken([results[results.length - 1].serial], [q.status]) : null }
}

export function jobNotFound (id: string): Error {
  return httpProblem(404, 'JOB_NOT_FOUND', `No job with id ${id}. Finished jobs are kept DEPGATE_JOB_RETENTION_DAYS (default 30 days); GET /v1/jobs lists those there are.`)
}
