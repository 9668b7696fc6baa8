/**
 * API shapes of the mirror's sync state: the `inventory` object of each server in
 * `GET /v1/servers`, and `POST …/sync`.
 */
import { z } from 'zod'
import { timestamp } from './timestamps.js'
import { queryFlag } from './query-values.js'

const time = (description: string) => timestamp().nullable().describe(`${description} (ISO-8601, UTC; null: not yet)`)

// Published as `InventoryStatus` (the field is `inventory`): the contract predates the word "mirror" in the code.
export const mirrorStatusSchema = z.object({
  enabled: z.boolean().describe('False when the mirror is switched off (DEPGATE_INVENTORY=false): device reads then always ask Apple'),
  ready: z.boolean().describe('The first full fetch has completed: device reads come from the mirror'),
  phase: z.enum(['fetch', 'sync']).nullable().describe('`fetch` while every device is being fetched from Apple, `sync` while following Apple\'s changes'),
  device_count: z.number().int().describe('Devices Apple shows to this server, as of the last sync'),
  last_seq: z.number().int().describe('The change feed\'s newest sequence number'),
  ready_at: time('When the first full fetch completed'),
  last_success_at: time('When the last sync with Apple succeeded'),
  last_attempt_at: time('When the last sync with Apple started'),
  last_error: z.object({ code: z.string(), message: z.string(), status: z.number().int().describe('The HTTP status depgate answers for this failure (POST …/sync?wait=true answers it)'), at: timestamp() }).nullable().describe('The last sync failure, cleared by the next success'),
  cursor_age_seconds: z.number().nullable().describe('Age of Apple\'s sync cursor (Apple keeps one 7 days)'),
  lag_seconds: z.number().nullable().describe('Seconds since the last successful sync'),
  leader: z.boolean().describe('This depgate replica is the one syncing this server'),
  syncing: z.boolean().describe('A sync is running on this replica now'),
  sync_requested_at: time('A sync asked for through POST …/sync that has not run yet')
}).meta({
  id: 'InventoryStatus',
  description: 'The device mirror of one server: whether reads come from it, how fresh it is, and the last failure.',
  examples: [{
    enabled: true,
    ready: true,
    phase: 'sync',
    device_count: 1250,
    last_seq: 20412,
    ready_at: '2026-11-20T08:00:00.000Z',
    last_success_at: '2026-11-25T09:30:00.000Z',
    last_attempt_at: '2026-11-25T09:30:00.000Z',
    last_error: null,
    cursor_age_seconds: 120,
    lag_seconds: 120,
    leader: true,
    syncing: false,
    sync_requested_at: null
  }]
})

/** What GET /v1/servers shows of a server's mirror; the mirror (src/mirror) builds it. */
export type MirrorStatus = z.infer<typeof mirrorStatusSchema>

const flag = (description: string) => queryFlag(false).describe(description)

export const syncQuerySchema = z.object({
  full: flag('`true`: fetch every device again instead of following Apple\'s changes (devices not seen are then marked removed)'),
  wait: flag('`true`: answer when the sync has run (200) instead of at once (202)'),
  force: flag('`true` (admin keys only): start a full fetch even within DEPGATE_FULL_SYNC_MIN_INTERVAL of the last one')
})
