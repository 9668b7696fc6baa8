/**
 * The mirror's change feed as the API answers it: which `since` it can answer in full (the head
 * and the floors), and the long poll. Kept out of the route so the rules read in one place, next
 * to the shapes they produce (mirror-stream.ts). The org mirror's feed (org-changes.ts) answers
 * with the same rules and shapes: checkSince and checkFloorAfter are shared.
 */
import type { FastifyReply } from 'fastify'
import { httpProblem } from '../problems.js'
import type { MirrorRepository } from '../store/index.js'
import type { ChangesPage } from '../store/mirror-reads.js'
import { mirrorHeaders } from './mirror-source.js'
import { changesJson } from './mirror-stream.js'

export interface FeedRequest {
  server: string
  since: number
  limit: number
  /** Seconds to long-poll when nothing is new (0: answer at once). */
  waitSeconds: number
}

/** What the feed reads: the store's mirror, and the mirror's wake-ups for the long poll. */
export interface FeedSources {
  reads: Pick<MirrorRepository, 'getState' | 'changesSince'>
  waitForChange (server: string, since: number, timeoutMs: number, signal?: AbortSignal): Promise<boolean>
}

/** Whose feed a refusal names, and the list whose `last_seq` is a place to start again from. */
export interface FeedOwner {
  /** `server "default"`, `org "acme"` */
  label: string
  /** `/v1/servers/default/devices` */
  listPath: string
}

/** The head and floors of a feed (src/store/mirror-drop.ts explains floors). */
export interface FeedFloors { last_seq: number, feed_floor: number, drop_floor: number }

/** Refuses (409) a `since` the feed cannot answer in full, read before its changes; returns the feed's floor. */
export function checkSince (owner: FeedOwner, since: number, state: FeedFloors | undefined): number {
  const head = state?.last_seq ?? 0
  if (since > head) {
    throw httpProblem(409, 'SINCE_AHEAD', `since=${since} is beyond the newest change of ${owner.label} (${head}): the mirror was rebuilt or belongs to another depgate. Start again with since=0, or with the last_seq of GET ${owner.listPath}.`)
  }
  const floor = state?.feed_floor ?? 0
  if (since > 0 && since < floor) throw belowFloor(owner, since, state!)
  return floor
}

/**
 * Compaction leaves gaps, so the changes themselves cannot show that the floor rose past since
 * while the request read or waited (the owner deleted and added again: what follows is a new
 * mirror's; or a removal compacted away). The floor read after them can.
 */
export function checkFloorAfter (owner: FeedOwner, since: number, page: ChangesPage): void {
  if (since > 0 && since < page.feed_floor) throw belowFloor(owner, since, page)
}

/** The feed's answer as JSON text; refuses (409) a `since` the feed cannot answer in full. */
export async function readFeed (sources: FeedSources, { server, since, limit, waitSeconds }: FeedRequest, reply: FastifyReply): Promise<string> {
  const { reads } = sources
  const owner = { label: `server "${server}"`, listPath: `/v1/servers/${server}/devices` }
  // The full state row: the feed's floor is in it (src/store/mirror-drop.ts explains floors).
  const state = await reads.getState(server)
  const floor = checkSince(owner, since, state)
  mirrorHeaders(reply, { last_success_at: state?.last_success_at ?? null })
  let page = await reads.changesSince(server, since, limit)
  if (page.changes.length === 0 && waitSeconds > 0) {
    // A caller that hangs up ends the wait at once (no timer or listener left behind).
    const aborter = new AbortController()
    const onClose = () => { aborter.abort() }
    reply.raw.once('close', onClose)
    // A caller that hung up during the reads above is already gone: its 'close' has fired.
    if (reply.raw.destroyed) aborter.abort()
    try {
      if (await sources.waitForChange(server, since, waitSeconds * 1000, aborter.signal)) page = await reads.changesSince(server, since, limit)
    } finally {
      reply.raw.off('close', onClose)
    }
  }
  checkFloorAfter(owner, since, page)
  // since=0 on a server added again, nothing new yet: next_since is the floor (the new feed's start), not 0, so `more` is false.
  return changesJson(page, Math.max(since, floor))
}

/** The refusal of a since below the feed's floor: from a dropped mirror, or older than what compaction kept. */
function belowFloor (owner: FeedOwner, since: number, state: { feed_floor: number, drop_floor: number }): Error {
  if (since < state.drop_floor) {
    return httpProblem(409, 'SINCE_AHEAD', `since=${since} belongs to the change feed of ${owner.label} from before it was deleted and added again: its mirror was rebuilt. Drop what you kept from the old feed and start again with since=0, or with the last_seq of GET ${owner.listPath}.`)
  }
  return httpProblem(409, 'SINCE_EXPIRED', `since=${since} is too old for the change feed of ${owner.label}: changes up to ${state.feed_floor} were compacted, and a device removal older than DEPGATE_FEED_RETENTION_DAYS days is no longer in the feed, so a device removed after since=${since} would be missed. Drop what you kept and start again with since=0 (every current device), or with the last_seq of GET ${owner.listPath}.`)
}
