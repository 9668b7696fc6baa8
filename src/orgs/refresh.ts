/**
 * One refresh of an org mirror: Apple's organisation API has no change cursor (docs/apple-axm.md
 * §4), so the walk reads the MDM servers, which serials each holds (the cheap bulk map:
 * docs/apple-axm.md §2.7), then every device page by page (docs/apple-axm.md §2.1, 1000 a page),
 * each GET within the request budget. Each device page is written as it arrives, fenced by the
 * lease (src/store/org-mirror.ts), so a walk killed half way keeps what it wrote; only a walk that
 * reached the last page marks unseen devices removed.
 */
import type { OrgApplied, OrgMirrorWrites } from '../store/index.js'
import type { RequestBudget } from './budget.js'
import type { OrgClient } from './types.js'

export interface RefreshInput {
  org: string
  owner: string
  client: OrgClient
  writes: OrgMirrorWrites
  budget: RequestBudget
  leaseMs: number
  signal?: AbortSignal
}

/**
 * Pulls `pages` one at a time, taking a GET from the budget before each; a page without a next
 * cursor is the last (no GET is taken for a page that will not be asked for).
 */
async function * paced<T extends { nextCursor?: string }> (pages: AsyncGenerator<T>, budget: RequestBudget, signal?: AbortSignal): AsyncGenerator<T> {
  await budget.take(signal)
  for await (const page of pages) {
    yield page
    if (page.nextCursor !== undefined) await budget.take(signal)
  }
}

export async function refreshOrg ({ org, owner, client, writes, budget, leaseMs, signal }: RefreshInput): Promise<OrgApplied> {
  const generation = await writes.startRefresh(org, owner)
  await budget.take(signal)
  const servers = await client.listMdmServers(signal)
  const serverOf = new Map<string, string>()
  for (const server of servers) {
    for await (const page of paced(client.mdmServerSerialPages(server.id, { signal }), budget, signal)) {
      for (const serial of page.items) serverOf.set(serial, server.id)
    }
  }
  const total: OrgApplied = { added: 0, modified: 0, removed: 0, lastSeq: 0 }
  const add = (applied: OrgApplied): void => {
    total.added += applied.added
    total.modified += applied.modified
    total.removed += applied.removed
    total.lastSeq = applied.lastSeq
  }
  for await (const page of paced(client.orgDevicePages({ signal }), budget, signal)) {
    add(await writes.applyDevices(org, owner, generation, page.items.map((d) => ({
      serial: d.serialNumber,
      attributes: d.attributes,
      mdmServer: serverOf.get(d.id) ?? null
    }))))
    // A walk of 100,000 devices at 20 GETs a minute takes minutes: the lease must outlive it.
    await writes.renewLease(org, owner, leaseMs)
  }
  add(await writes.finishRefresh(org, owner, generation, servers.map(({ id, ...attributes }) => ({ id, attributes }))))
  return total
}
