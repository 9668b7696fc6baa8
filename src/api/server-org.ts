/**
 * Linking a DEP server to its Apple Business / School Manager org (docs/apple-axm.md §2.6: a DEP
 * server token's server is one of the org's MDM servers, under the name DEP's /account gives as
 * `server_name`). The MDM server's id is given, or found by that name among the MDM servers of the
 * org mirror (exact, then ignoring case). A name that matches none or several is refused, listing
 * the candidates, rather than stored unresolved: the admin learns at once which id to pass, and a
 * link never says "this device is on this server" without knowing which server that is.
 */
import type { FastifyInstance } from 'fastify'
import { z } from 'zod'
import type { AccountDetail } from '../dep/schemas.js'
import { orgNotFound } from '../orgs/registry.js'
import { httpProblem } from '../problems.js'
import type { OrgLink, OrgMdmServerName } from '../store/index.js'
import type { AccountIdentity } from '../store/servers.js'
import { accountIdentity } from '../tokens/token-import.js'
import { ORG_NAME_PATTERN } from './org-schemas.js'

const orgName = z.string().regex(ORG_NAME_PATTERN, 'must be the name of an org of this depgate (GET /v1/orgs)')
const mdmServerId = z.string().min(1).max(200)

/** The link fields of PUT /v1/servers/{server} (both optional there: left out, the link stays as it is). */
export const orgLinkFields = {
  org: orgName.nullable().optional()
    .describe('The org (GET /v1/orgs) this server belongs to in Apple Business / School Manager; null unlinks; left out, the link stays as it is'),
  org_mdm_server: mdmServerId.nullable().optional()
    .describe('This server\'s id among the org\'s MDM servers (GET /v1/orgs/{org}/mdm-servers). Left out, depgate finds it by this server\'s name in Apple Business Manager (Apple\'s /account `server_name`)')
}

export const patchServerSchema = z.object({
  org: orgName.nullable().describe('The org (GET /v1/orgs) this server belongs to in Apple Business / School Manager; null unlinks'),
  org_mdm_server: orgLinkFields.org_mdm_server
}).meta({
  id: 'ServerPatchRequest',
  examples: [{ org: 'default' }, { org: 'default', org_mdm_server: '8B2C0D6E4A1F4E7C9D3B5A7F1E2C4D6A' }, { org: null }]
})

export interface OrgLinkRequest { org?: string | null | undefined, org_mdm_server?: string | null | undefined }

/** This server's name in Apple Business Manager, and Apple's /account identity when it had to be asked. */
export interface ServerNameSource { name: () => Promise<{ serverName: string | undefined, account?: AccountIdentity }> }

/** The resolved change: undefined when the request says nothing about the org. */
export interface ResolvedLink { link: OrgLink | null, account?: AccountIdentity }

const LISTED = 20

function listNames (servers: readonly OrgMdmServerName[]): string {
  const shown = servers.slice(0, LISTED).map((s) => `"${s.server_name ?? '(no name)'}" (id ${s.id})`).join(', ')
  return servers.length > LISTED ? `${shown} and ${servers.length - LISTED} more` : shown
}

function matchByName (servers: readonly OrgMdmServerName[], name: string): OrgMdmServerName[] {
  const exact = servers.filter((s) => s.server_name === name)
  if (exact.length > 0) return exact
  const lower = name.toLowerCase()
  return servers.filter((s) => s.server_name?.toLowerCase() === lower)
}

/** The identity Apple's /account gives, and the server's name in it. */
export function fromAccount (account: AccountDetail, now: () => Date): { serverName: string | undefined, account: AccountIdentity } {
  return { serverName: account.server_name, account: accountIdentity(account, now) }
}

/** Checks the link a request asks for and finds the MDM server's id; throws the problem a Mac admin can act on. */
export async function resolveOrgLink (fastify: FastifyInstance, server: string, body: OrgLinkRequest, source: ServerNameSource): Promise<ResolvedLink | undefined> {
  const { org, org_mdm_server: given } = body
  if (org === undefined || org === null) {
    if (given !== undefined && given !== null) {
      throw httpProblem(400, 'VALIDATION_FAILED', 'org_mdm_server names an MDM server of an org: send it with org, or leave it out.', { errors: [{ field: 'body.org_mdm_server', message: 'needs org' }] })
    }
    return org === null ? { link: null } : undefined
  }
  if (await fastify.store.orgs.info(org) === undefined) throw orgNotFound(org)
  const state = await fastify.store.orgMirror.getState(org)
  const ready = state?.last_refresh_at != null
  const servers = ready ? await fastify.store.orgMirror.mdmServerNames(org) : []
  if (given !== undefined && given !== null) {
    // Before the org's first refresh there is nothing to check the id against: the admin's word is taken.
    if (!ready) return { link: { org, mdmServer: given } }
    const found = servers.find((s) => s.id === given) ?? servers.find((s) => s.id.toLowerCase() === given.toLowerCase())
    if (found === undefined) throw httpProblem(404, 'ORG_MDM_SERVER_NOT_FOUND', `Org "${org}" has no MDM server with id ${given}. GET /v1/orgs/${org}/mdm-servers lists them. Nothing was changed.`)
    return { link: { org, mdmServer: found.id } }
  }
  if (!ready) {
    throw httpProblem(503, 'ORG_MIRROR_NOT_READY', `depgate is still reading org "${org}" from Apple, so its MDM servers are not known yet to find server "${server}" among them; try again in a moment, or pass org_mdm_server. Nothing was changed.`, { retryAfterSeconds: 30 })
  }
  const { serverName, account } = await source.name()
  const matches = serverName === undefined ? [] : matchByName(servers, serverName)
  if (matches.length !== 1) {
    const what = serverName === undefined
      ? `Apple's /account does not name DEP server "${server}", so depgate cannot find it among the MDM servers of org "${org}".`
      : matches.length === 0
        ? `No MDM server of org "${org}" is named "${serverName}" (the name of DEP server "${server}" in Apple Business Manager).`
        : `Several MDM servers of org "${org}" are named "${serverName}" (the name of DEP server "${server}" in Apple Business Manager): ${listNames(matches)}.`
    const candidates = matches.length === 0 ? ` Its MDM servers: ${servers.length === 0 ? 'none' : listNames(servers)}.` : ''
    throw httpProblem(422, 'ORG_MDM_SERVER_NOT_MATCHED', `${what}${candidates} Pass org_mdm_server with the id of this server (GET /v1/orgs/${org}/mdm-servers lists them). Nothing was changed.`, {
      errors: [{ field: 'body.org_mdm_server', message: 'is needed: the server could not be found by its name' }]
    })
  }
  return account === undefined ? { link: { org, mdmServer: matches[0].id } } : { link: { org, mdmServer: matches[0].id }, account }
}
