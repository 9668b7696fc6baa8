/**
 * The dashboard's pages. Each reads through the same src/api functions and store reads as the
 * JSON route that answers the same question (named beside each), and hands plain data to a page
 * function of src/ui/pages.
 */
import type { FastifyPluginAsyncZod } from '@fastify/type-provider-zod'
import type { FastifyReply, FastifyRequest } from 'fastify'
import { z } from 'zod'
import { keyView } from '../../src/api/api-key-views.js'
import { previewRules } from '../../src/api/assignment-preview.js'
import { getRules } from '../../src/api/assignment-rules.js'
import { listAssignments } from '../../src/api/assignments.js'
import { auditPage, auditQuerySchema, auditStoreQuery } from '../../src/api/audit.js'
import { CSV_CONTENT_TYPE, csvDisposition, csvText, MIRROR_COLUMNS } from '../../src/api/device-csv.js'
import { deviceAssignment } from '../../src/api/device-assignment.js'
import { readDeviceOrg } from '../../src/api/device-org.js'
import { deviceListQuerySchema } from '../../src/api/devices.js'
import { listNamedProfiles } from '../../src/api/enrollment-profiles.js'
import { jobListQuerySchema, jobPage, jobStoreQuery } from '../../src/api/jobs.js'
import { mirrorListQueryFields } from '../../src/api/mirror.js'
import { listOrgMdmServers } from '../../src/api/org-devices.js'
import { listOrgs } from '../../src/api/orgs.js'
import { pageScope, readMirrorPage } from '../../src/api/mirror-page.js'
import { mirrorDisabled, mirrorNotReady, requireMirror } from '../../src/api/mirror-source.js'
import { deviceObject } from '../../src/api/mirror-stream.js'
import { queryInteger } from '../../src/api/query-values.js'
import { serverParamsSchema } from '../../src/api/route-kit.js'
import { webhookHealth } from '../../src/api/webhook-health.js'
import type { SessionFrame } from '../../src/ui/layout.js'
import { auditLogPage, keysPage } from '../../src/ui/pages/admin.js'
import { devicePage } from '../../src/ui/pages/device.js'
import type { DeviceOrgPanel } from '../../src/ui/pages/device-org.js'
import { DEFAULT_PAGE_SIZE, devicesPage } from '../../src/ui/pages/devices.js'
import { enrollmentPage, FAILING_STATUSES } from '../../src/ui/pages/enrollment.js'
import { jobsPage } from '../../src/ui/pages/jobs.js'
import { orgsPage } from '../../src/ui/pages/orgs.js'
import { overviewPage } from '../../src/ui/pages/overview.js'
import { errorPage } from '../../src/ui/pages/sign-in.js'
import { webhooksPage } from '../../src/ui/pages/webhooks.js'
import { withMirrorStatus } from '../v1/servers/server-mirror.js'
import { sendPage } from '../../src/ui/reply.js'
import type { OrgLink } from '../../src/store/index.js'

/** Changes shown per server on the overview, and per device on its page. */
const LATEST_CHANGES = 10
const DEVICE_HISTORY = 50
const JOBS_PAGE = 50
/** Failing assignments shown per state on the enrollment page, and failed deliveries on the webhooks page. */
const FAILING_PAGE = 50
const FAILED_DELIVERIES = 20

const config = { scope: 'none' as const }
const admin = { scope: 'none' as const, ui: { admin: true as const } }
const hidden = { hide: true }

// The device list's query (every filter of GET …/devices, sort, order, page), and where the page starts, for "rows 51–100".
const devicesQuery = deviceListQuerySchema.extend({
  sort: mirrorListQueryFields.sort,
  order: mirrorListQueryFields.order,
  limit: mirrorListQueryFields.limit,
  page_token: mirrorListQueryFields.page_token,
  removed: mirrorListQueryFields.removed,
  from: queryInteger(1, 1_000_000_000).optional()
})
type DevicesQuery = z.output<typeof devicesQuery>

/** A GET form sends every field, the empty ones as `name=`: those are no filter. */
async function dropEmpty (request: FastifyRequest): Promise<void> {
  const query = request.query as Record<string, unknown>
  for (const [k, v] of Object.entries(query)) if (v === '') delete query[k]
}

interface PageOptions { frame: (request: FastifyRequest, reply: FastifyReply) => SessionFrame }

export const pageRoutes: FastifyPluginAsyncZod<PageOptions> = async (fastify, { frame }) => {
  const mirrorState = async (server: string) =>
    requireMirror(fastify.mirror.enabled, server, fastify.mirror.enabled ? await fastify.store.mirror.state(server) : undefined)

  // What GET /v1/servers, GET …/devices/summary and GET …/devices/changes answer, per server.
  fastify.get('/', { config, schema: hidden }, async (request, reply) => {
    const servers = await withMirrorStatus(fastify, fastify.depServers.list())
    const overviews = await Promise.all(servers.map(async (server) => {
      if (!server.inventory.ready) return { server, changes: [] }
      const summary = await fastify.store.mirror.summary(server.name)
      const feed = await fastify.store.mirror.changesSince(server.name, Math.max(0, server.inventory.last_seq - LATEST_CHANGES), LATEST_CHANGES)
      return { server, summary, changes: feed.changes.reverse() }
    }))
    return sendPage(reply, 200, overviewPage(frame(request, reply), overviews, fastify.scheduler.now()))
  })

  /** The `org` block of GET …/devices/{serial} on a linked server; when the org mirror has none, why. */
  async function deviceOrg (link: OrgLink, serial: string): Promise<DeviceOrgPanel> {
    const view = await readDeviceOrg(fastify.store, link, serial)
    if (view !== null) return { org: link.org, view }
    if (await fastify.store.orgs.info(link.org) === undefined) return { org: link.org, view: { why: 'gone' } }
    const refreshedAt = (await fastify.store.orgMirror.getState(link.org))?.last_refresh_at
    return { org: link.org, view: refreshedAt == null ? { why: 'not_ready' } : { why: 'absent', refreshedAt } }
  }

  /** One page of GET …/devices?limit= from the mirror, as that route reads it. */
  async function devicePage_ (server: string, query: DevicesQuery) {
    fastify.depServers.get(server)
    await mirrorState(server)
    const scope = pageScope(server, query)
    const read = await readMirrorPage(fastify.store.mirror, scope, { limit: query.limit ?? DEFAULT_PAGE_SIZE, page_token: query.page_token })
    return { scope, read }
  }

  const devicesSchema = { ...hidden, params: serverParamsSchema, querystring: devicesQuery }

  fastify.get('/servers/:server/devices', { config, schema: devicesSchema, preValidation: dropEmpty }, async (request, reply) => {
    const { server } = request.params
    const { scope, read } = await devicePage_(server, request.query)
    const params = new URLSearchParams(request.url.split('?')[1] ?? '')
    for (const [k, v] of [...params]) if (v === '') params.delete(k)
    return sendPage(reply, 200, devicesPage(frame(request, reply), {
      server, params, sort: scope.sort, order: scope.order, devices: read.page.devices.map(deviceObject), total: read.total, from: request.query.from ?? 1, nextToken: read.token
    }))
  })

  // Exactly the rows the table shows, as GET …/devices?format=csv&limit= writes them.
  fastify.get('/servers/:server/devices.csv', { config, schema: devicesSchema, preValidation: dropEmpty }, async (request, reply) => {
    const { server } = request.params
    const { read } = await devicePage_(server, request.query)
    return reply.type(CSV_CONTENT_TYPE).header('content-disposition', csvDisposition(server))
      .send(csvText(MIRROR_COLUMNS, read.page.devices.map(deviceObject), true))
  })

  // GET …/devices/{serial} from the mirror, the device's entries in GET …/devices/changes, what the rules (as the preview) decide for it, and its row of GET …/assignments?serial=.
  fastify.get('/servers/:server/devices/:serial', {
    config, schema: { ...hidden, params: serverParamsSchema.extend({ serial: z.string().min(1).max(64) }) }
  }, async (request, reply) => {
    const { server, serial } = request.params
    const link = fastify.depServers.get(server).orgLink
    await mirrorState(server)
    const lookup = await fastify.store.mirror.getDevice(server, serial)
    const device = lookup?.device
    if (device === undefined) return sendPage(reply, 404, errorPage(frame(request, reply), 404, 'Not found', `The mirror of server "${server}" has no device with serial number ${serial}.`))
    const history = await fastify.store.deviceHistory(server, device.serial_number, DEVICE_HISTORY)
    const record = JSON.parse(device.record) as Record<string, unknown>
    const assignment = await deviceAssignment(fastify, server, record)
    const [engine] = (await listAssignments(fastify, server, { serial: device.serial_number, limit: 1 })).assignments
    const org = link === undefined ? undefined : await deviceOrg(link, device.serial_number)
    return sendPage(reply, 200, devicePage(frame(request, reply), {
      server, serial: device.serial_number, record, lastChangedAt: device.last_changed_at, removedAt: device.removed_at, history, assignment, engine, org
    }))
  })

  // GET …/enrollment-profiles, GET …/assignment-rules, POST …/assignment-rules/preview and GET …/assignments?status= (failed, throttled, gave_up).
  fastify.get('/servers/:server/enrollment', { config, schema: { ...hidden, params: serverParamsSchema } }, async (request, reply) => {
    const { server } = request.params
    const { profiles } = await listNamedProfiles(fastify, server)
    const rules = await getRules(fastify, reply, server)
    // The mirror off or still fetching: the rules are shown without their counts, and why.
    const { enabled, ready } = await fastify.mirror.status(server)
    const preview = ready ? await previewRules(fastify, server, undefined) : { unavailable: (enabled ? mirrorNotReady : mirrorDisabled)(server).detail }
    const failingPages = await Promise.all(FAILING_STATUSES.map(async (status) => await listAssignments(fastify, server, { status, limit: FAILING_PAGE })))
    const failing = {
      assignments: failingPages.flatMap((p) => p.assignments),
      more: FAILING_STATUSES.filter((_, i) => failingPages[i].next_page_token !== null)
    }
    return sendPage(reply, 200, enrollmentPage(frame(request, reply), { server, profiles, rules, preview, engine: fastify.assignments !== null, failing }))
  })

  // GET /v1/orgs, each ready org's GET /v1/orgs/{org}/mdm-servers, and the links of GET /v1/servers.
  fastify.get('/orgs', { config, schema: hidden }, async (request, reply) => {
    const servers = fastify.depServers.list()
    const panels = await Promise.all((await listOrgs(fastify)).map(async (org) => ({
      org,
      mdmServers: org.mirror.ready ? (await listOrgMdmServers(fastify, org.name)).mdm_servers : undefined,
      // A linked server always has both: the store writes the org and its MDM server id together.
      links: servers.filter((s) => s.org === org.name).map((s) => ({ server: s.name, mdmServer: s.org_mdm_server as string }))
    })))
    return sendPage(reply, 200, orgsPage(frame(request, reply), panels, fastify.scheduler.now()))
  })

  // GET /v1/jobs (newest first, its page token).
  fastify.get('/jobs', { config, schema: { ...hidden, querystring: z.object({ page_token: jobListQuerySchema.shape.page_token }) } }, async (request, reply) => {
    const q = { page_token: request.query.page_token, limit: JOBS_PAGE }
    const query = jobStoreQuery(q)
    const answer = jobPage(await fastify.store.jobs.list({ ...query, limit: query.limit + 1 }), query.limit, q)
    const next = answer.next_page_token === null ? undefined : `?page_token=${encodeURIComponent(answer.next_page_token)}`
    return sendPage(reply, 200, jobsPage(frame(request, reply), answer.jobs, next))
  })

  // GET /v1/webhooks, with each subscription's deliveries counted (the store's delivery health) and the latest failed ones.
  fastify.get('/webhooks', { config: admin, schema: hidden }, async (request, reply) => {
    const health = await webhookHealth(fastify.store, FAILED_DELIVERIES)
    return sendPage(reply, 200, webhooksPage(frame(request, reply), health, fastify.scheduler.now()))
  })

  // GET /v1/keys.
  fastify.get('/keys', { config: admin, schema: hidden }, async (request, reply) => {
    const keys = (await fastify.store.keys.list()).map(keyView)
    return sendPage(reply, 200, keysPage(frame(request, reply), keys))
  })

  // GET /v1/audit (newest first, its page token).
  fastify.get('/audit', { config: admin, schema: { ...hidden, querystring: z.object({ page_token: auditQuerySchema.shape.page_token }) } }, async (request, reply) => {
    const q = { page_token: request.query.page_token, limit: 100 }
    const storeQuery = auditStoreQuery(q)
    const entries = auditPage(await fastify.store.audit.list({ ...storeQuery, limit: storeQuery.limit + 1 }), storeQuery.limit, q)
    const next = entries.next_page_token === null ? undefined : `?page_token=${encodeURIComponent(entries.next_page_token)}`
    return sendPage(reply, 200, auditLogPage(frame(request, reply), entries, next))
  })
}
