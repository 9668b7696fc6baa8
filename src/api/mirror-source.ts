/**
 * Where a device read is answered from. The mirror answers once its first full fetch has
 * completed; until then (and with the mirror switched off, or `source=apple`) depgate asks Apple
 * live, as it always did. A caller that insists on the mirror (`source=mirror`, or a parameter
 * only the mirror has) gets a problem saying why it cannot, never a silent live answer.
 */
import type { FastifyReply } from 'fastify'
import type { MirrorState } from '../store/mirror-reads.js'
import { httpProblem } from '../problems.js'
import { SOURCE_HEADER, SYNCED_AT_HEADER } from './mirror.js'

export type Source = 'mirror' | 'apple'

/** Seconds a caller is told to wait for a first fetch to complete. */
export const NOT_READY_RETRY_SECONDS = 10

// The codes keep the concept's first name (INVENTORY_*): scripts switch on them; the sentences say "mirror".
export function mirrorDisabled (server: string) {
  return httpProblem(409, 'INVENTORY_DISABLED', `depgate keeps no device mirror (DEPGATE_MIRROR=false, or its older name DEPGATE_INVENTORY=false), so this cannot be answered for server "${server}". Leave out source=mirror and the mirror-only parameters (sort, order, limit, page_token, removed, since) to ask Apple directly.`)
}

export function mirrorNotReady (server: string) {
  return httpProblem(503, 'INVENTORY_NOT_READY', `depgate is still fetching every device of server "${server}" from Apple for its mirror; try again in a moment (GET /v1/servers shows the progress), or ask Apple directly with source=apple.`, { retryAfterSeconds: NOT_READY_RETRY_SECONDS })
}

/** 400 for mirror-only parameters sent with source=apple. */
export function appleCannot (names: string[]) {
  return httpProblem(400, 'MIRROR_ONLY_PARAMETER', `${names.join(', ')} only work on depgate's mirror, not with source=apple: leave source=apple out, or leave ${names.length === 1 ? 'it' : 'them'} out.`, {
    errors: names.map((n) => ({ field: `querystring.${n}`, message: 'only with the mirror (not with source=apple)' }))
  })
}

export interface SourceChoice {
  enabled: boolean
  server: string
  source: Source | undefined
  /** The request uses something only the mirror has. */
  needsMirror: boolean
}

/** The mirror's state when it can answer; else the problem saying why not. */
export function requireMirror<S extends { ready_at: string | null }> (enabled: boolean, server: string, state: S | undefined): S {
  if (!enabled) throw mirrorDisabled(server)
  if (state === undefined || state.ready_at === null) throw mirrorNotReady(server)
  return state
}

/**
 * Decides from the mirror's state (read by the caller, in its own query): true → answer from the
 * mirror; false → ask Apple; throws when the caller insists on a mirror that cannot answer.
 */
export function useMirror<S extends { ready_at: string | null }> (choice: SourceChoice, state: S | undefined): state is S {
  if (choice.source === 'apple') return false
  if (choice.source === 'mirror' || choice.needsMirror) {
    requireMirror(choice.enabled, choice.server, state)
    return true
  }
  return choice.enabled && state !== undefined && state.ready_at !== null
}

/** The headers every mirror answer carries. */
export function mirrorHeaders (reply: FastifyReply, state: Pick<MirrorState, 'last_success_at'>): void {
  reply.header(SOURCE_HEADER, 'mirror')
  if (state.last_success_at !== null) reply.header(SYNCED_AT_HEADER, state.last_success_at)
}

export function appleHeaders (reply: FastifyReply): void {
  reply.header(SOURCE_HEADER, 'apple')
}
