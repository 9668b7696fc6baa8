/**
 * Organisations (Apple Business / School Manager API accounts, docs/apple-axm.md §1): stored
 * (src/orgs/account.ts, shared with `depgate org import`), shown without their secrets, deleted.
 */
import type { FastifyInstance, FastifyRequest } from 'fastify'
import type { z } from 'zod'
import { storeOrgAccount } from '../orgs/account.js'
import { orgNotFound } from '../orgs/registry.js'
import type { OrgInfo, OrgStateRow } from '../store/index.js'
import type { orgSchema, putOrgSchema } from './org-schemas.js'

export type OrgView = z.infer<typeof orgSchema>

export const orgPath = (org: string): string => `/v1/orgs/${org}`

export function orgView (info: OrgInfo, state: OrgStateRow | undefined): OrgView {
  return {
    name: info.name,
    client_id: info.clientId,
    key_id: info.keyId,
    scope: info.scope,
    base_url: info.baseUrl ?? null,
    token_url: info.tokenUrl ?? null,
    token: { expires_at: info.tokenExpiresAt ?? null, checked_at: info.tokenCheckedAt ?? null },
    last_error: info.lastError ?? null,
    mirror: {
      ready: state?.last_refresh_at != null,
      last_refresh_at: state?.last_refresh_at ?? null,
      refresh_started_at: state?.refresh_started_at ?? null,
      device_count: state?.device_count ?? 0,
      last_seq: state?.last_seq ?? 0,
      // The store writes an error's code, message and time together and clears them together.
      last_error: state?.last_error_code != null ? { code: state.last_error_code, message: state.last_error_message as string, at: state.last_error_at as string } : null
    },
    created_at: info.createdAt,
    updated_at: info.updatedAt
  }
}

export async function getOrg (fastify: FastifyInstance, org: string): Promise<OrgView> {
  const info = await fastify.store.orgs.info(org)
  if (info === undefined) throw orgNotFound(org)
  return orgView(info, await fastify.store.orgMirror.getState(org))
}

export async function listOrgs (fastify: FastifyInstance): Promise<OrgView[]> {
  const out: OrgView[] = []
  for (const info of await fastify.store.orgs.list()) out.push(orgView(info, await fastify.store.orgMirror.getState(info.name)))
  return out
}

/** Stores (or replaces) the org's API account (src/orgs/account.ts checks and verifies it); `created` says which. */
export async function putOrg (fastify: FastifyInstance, request: FastifyRequest, org: string, body: z.infer<typeof putOrgSchema>, verify: boolean): Promise<{ view: OrgView, created: boolean }> {
  const audit = (created: boolean) => fastify.auditRow(request, { action: 'org.put', target: orgPath(org), detail: created ? 'created' : 'replaced' })
  const { info, created } = await storeOrgAccount(fastify.store, fastify.orgs.clients.factory, org, body, { verify, audit })
  request.audited = true
  await fastify.orgs.clients.forget(org)
  return { view: await getOrg(fastify, info.name), created }
}

export async function deleteOrg (fastify: FastifyInstance, request: FastifyRequest, org: string): Promise<void> {
  const deleted = await fastify.store.orgs.delete(org, fastify.auditRow(request, { action: 'org.delete', target: orgPath(org) }))
  if (!deleted) throw orgNotFound(org)
  request.audited = true
  await fastify.orgs.clients.forget(org)
}
