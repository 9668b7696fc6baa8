/**
 * Organisations (Apple Business / School Manager API accounts, docs/apple-axm.md §1): stored,
 * shown without their secrets, deleted. A new account is proved by getting an access token with
 * it before it is stored (unless `verify=false`), so a typo in the client id or the wrong `.pem`
 * is answered at once instead of at the next refresh.
 */
import type { FastifyInstance, FastifyRequest } from 'fastify'
import type { z } from 'zod'
import { AxmError, loadPrivateKey, scopeOf } from '../axm/index.js'
import { orgProblem } from '../orgs/errors.js'
import { orgNotFound } from '../orgs/registry.js'
import { httpProblem } from '../problems.js'
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

const invalid = (why: string, field: string) => httpProblem(400, 'INVALID_ORG_ACCOUNT', `${why} Nothing was stored.`, { errors: [{ field, message: why }] })

/** Stores (or replaces) the org's API account; `created` says which. */
export async function putOrg (fastify: FastifyInstance, request: FastifyRequest, org: string, body: z.infer<typeof putOrgSchema>, verify: boolean): Promise<{ view: OrgView, created: boolean }> {
  const scope = scopeOf(body.client_id)
  if (scope === undefined) throw invalid('The client id must start with BUSINESSAPI. or SCHOOLAPI., as Apple Business (or School) Manager shows it under Preferences → API.', 'body.client_id')
  try {
    loadPrivateKey(body.private_key)
  } catch {
    throw invalid('The private key is not a P-256 key in PEM form: send the whole .pem file Apple Business Manager let you download.', 'body.private_key')
  }
  const input = {
    clientId: body.client_id,
    keyId: body.key_id,
    privateKeyPem: body.private_key,
    scope,
    ...(body.base_url === undefined ? {} : { baseUrl: body.base_url }),
    ...(body.token_url === undefined ? {} : { tokenUrl: body.token_url })
  }
  let expiresAt: string | undefined
  if (verify) {
    const now = new Date().toISOString()
    const client = fastify.orgs.clients.factory({ ...input, name: org, createdAt: now, updatedAt: now })
    try {
      await client.verify()
      const { expiresAt: ms } = client.tokenState()
      if (ms !== undefined) expiresAt = new Date(ms).toISOString()
    } catch (err) {
      if (err instanceof AxmError && (err.code === 'INVALID_CLIENT' || err.code === 'INVALID_KEY')) {
        throw httpProblem(422, 'ORG_CREDENTIALS_REJECTED', 'Apple refused this API account: check the client id, the key id and that the key is the one Apple Business Manager shows for them (a revoked key is refused too). Nothing was stored.', { cause: err })
      }
      throw orgProblem(err, org)
    } finally {
      await client.close()
    }
  }
  const audit = (created: boolean) => fastify.auditRow(request, { action: 'org.put', target: orgPath(org), detail: created ? 'created' : 'replaced' })
  const { info, created } = await fastify.store.orgs.upsert(org, input, audit)
  request.audited = true
  if (expiresAt !== undefined) await fastify.store.orgs.recordToken(org, expiresAt)
  await fastify.orgs.clients.forget(org)
  // A new account (or another one under this name) is read whole at the refresher's next look.
  await fastify.store.orgMirror.requestRefresh(org)
  return { view: await getOrg(fastify, info.name), created }
}

export async function deleteOrg (fastify: FastifyInstance, request: FastifyRequest, org: string): Promise<void> {
  const deleted = await fastify.store.orgs.delete(org, fastify.auditRow(request, { action: 'org.delete', target: orgPath(org) }))
  if (!deleted) throw orgNotFound(org)
  request.audited = true
  await fastify.orgs.clients.forget(org)
}
