/**
 * The org mirror's change feed (GET /v1/orgs/{org}/devices/changes): the DEP feed's rules and shapes
 * (mirror-feed.ts, mirror-stream.ts) over the changes each org refresh writes (src/store/org-mirror.ts).
 * A `since` beyond the head, or from before the org was deleted and added again, is refused with
 * 409 SINCE_AHEAD; the org feed is not compacted, so nothing else is.
 */
import type { FastifyInstance } from 'fastify'
import { orgNotFound } from '../orgs/registry.js'
import { checkSince } from './mirror-feed.js'
import { changesJson } from './mirror-stream.js'

/** The answer as OrgChanges JSON text (the stored records are put in as they are). */
export async function readOrgChanges (fastify: FastifyInstance, org: string, since: number, limit: number): Promise<string> {
  if (await fastify.store.orgs.info(org) === undefined) throw orgNotFound(org)
  const owner = { label: `org "${org}"`, listPath: `/v1/orgs/${org}/devices` }
  // One read: the head and the floor come with the changes, read after them, so a drop while the
  // changes were read (the org deleted and added again) is refused, not answered with a mix.
  const page = await fastify.store.orgMirror.changesSince(org, since, limit)
  const floor = checkSince(owner, since, page)
  // since=0 on an org added again, nothing new yet: next_since is the new feed's start.
  return changesJson(page, Math.max(since, floor))
}
