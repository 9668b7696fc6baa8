/**
 * One AxM client per org, built from its stored account when first needed and rebuilt when the
 * account is replaced (its `updatedAt` moved), so the access token a client holds is shared by
 * every caller of the org (docs/apple-axm.md §6: token churn is refused by Apple).
 */
import { type AxmClientOptions, createAxmClient } from '../axm/index.js'
import { httpProblem } from '../problems.js'
import type { OrgRecord, Store } from '../store/index.js'
import type { OrgClient, OrgClientFactory } from './types.js'

/** The AxM client of a stored account; `extra` sets the client's other options (timeouts, retries). */
export const defaultOrgClientFactory = (org: OrgRecord, extra: Partial<AxmClientOptions> = {}): OrgClient => createAxmClient({
  ...extra,
  clientId: org.clientId,
  keyId: org.keyId,
  privateKey: org.privateKeyPem,
  ...(org.baseUrl === undefined ? {} : { baseUrl: org.baseUrl }),
  ...(org.tokenUrl === undefined ? {} : { tokenUrl: org.tokenUrl })
})

export function orgNotFound (org: string): Error {
  return httpProblem(404, 'ORG_NOT_FOUND', `No organisation named "${org}" is configured. GET /v1/orgs lists them; an admin adds one with PUT /v1/orgs/${org}.`)
}

export class OrgClients {
  private readonly clients = new Map<string, { updatedAt: string, client: OrgClient }>()

  constructor (private readonly store: Store, readonly factory: OrgClientFactory = (org) => defaultOrgClientFactory(org)) {}

  /** The org's client; 404 ORG_NOT_FOUND for an unknown org. */
  async get (org: string): Promise<OrgClient> {
    const info = await this.store.orgs.info(org)
    if (info === undefined) throw orgNotFound(org)
    const cached = this.clients.get(org)
    if (cached?.updatedAt === info.updatedAt) return cached.client
    const record = await this.store.orgs.get(org) as OrgRecord
    const client = this.factory(record)
    this.clients.set(org, { updatedAt: info.updatedAt, client })
    if (cached !== undefined) await cached.client.close()
    return client
  }

  /** Closes the org's client (the org was replaced or deleted). */
  async forget (org: string): Promise<void> {
    const cached = this.clients.get(org)
    this.clients.delete(org)
    await cached?.client.close()
  }

  async close (): Promise<void> {
    for (const org of [...this.clients.keys()]) await this.forget(org)
  }
}
