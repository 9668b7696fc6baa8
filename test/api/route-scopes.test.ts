/**
 * The scope a route's documentation states is the scope the auth hook enforces, for every route
 * of the built app (taken from its route table, so a new route is checked without being listed).
 */
import type { RouteOptions } from 'fastify'
import t from 'tap'
import { AUDIT_TEXT, defineRoute, OPERATION_IDS_KEY, type OperationIds, SCOPE_TEXT } from '../../src/api/route-kit.js'
import type { RouteScope } from '../../src/scopes.js'
import { buildTestApp } from '../helper.js'

interface Operation { description?: string, security?: unknown[] }

/** What an operation's documentation says about the key it needs, and whether calls are audited. */
function documented (op: Operation): { scope: RouteScope | 'unstated' | 'several', audited: boolean, open: boolean } {
  const description = op.description ?? ''
  const stated = (Object.keys(SCOPE_TEXT) as RouteScope[]).filter((s) => description.includes(SCOPE_TEXT[s]))
  return {
    scope: stated.length === 1 ? stated[0] : stated.length === 0 ? 'unstated' : 'several',
    audited: description.includes(AUDIT_TEXT),
    open: Array.isArray(op.security) && op.security.length === 0
  }
}

/** What the hooks enforce: the auth hook's default is admin, the audit hook records named actions. */
function enforced (route: RouteOptions): { scope: RouteScope, audited: boolean, open: boolean } {
  const config = (route.config ?? {}) as { scope?: RouteScope, audit?: string | false }
  const scope = config.scope ?? 'admin'
  return { scope, audited: typeof config.audit === 'string', open: scope === 'none' }
}

/** Methods an OpenAPI document can describe (fastify.all also registers QUERY and others it cannot). */
const OPENAPI_METHODS = new Set(['GET', 'PUT', 'POST', 'DELETE', 'OPTIONS', 'PATCH', 'TRACE'])
const openApiPath = (url: string): string => url.replace(/:(\w+)/g, '{$1}').replace(/\*$/, '{path}')

t.test('every documented route states the scope and the audit it is enforced with', async (t) => {
  const routes: RouteOptions[] = []
  const { app } = await buildTestApp(t, { onRoute: (r) => { routes.push(r) } })
  const paths = (app.swagger() as { paths: Record<string, Record<string, Operation>> }).paths
  let checked = 0
  for (const route of routes) {
    const schema = (route.schema ?? {}) as { hide?: boolean, [OPERATION_IDS_KEY]?: OperationIds }
    for (const method of [route.method].flat()) {
      const op = paths[openApiPath(route.url)]?.[method.toLowerCase()]
      if (schema.hide === true || op === undefined) {
        // Undocumented: the UI and the redirect (hidden), HEAD twins, methods OpenAPI has no word for,
        // methods a several-method route gives no operationId (the pass-through's 405s).
        const unnamed = schema[OPERATION_IDS_KEY] !== undefined && schema[OPERATION_IDS_KEY][method] === undefined
        t.ok(schema.hide === true || !OPENAPI_METHODS.has(method) || unnamed, `${method} ${route.url} is left out on purpose`)
        continue
      }
      t.same(documented(op), enforced(route), `${method} ${route.url}`)
      checked++
    }
  }
  const operations = Object.values(paths).reduce((n, ops) => n + Object.keys(ops).length, 0)
  t.equal(checked, operations, `all ${operations} documented operations come from a route`)
})

t.test('the check sees a route documented with one scope and enforced with another', async (t) => {
  const route = defineRoute({ scope: 'read', operationId: 'x', tag: 'x', summary: 'x', description: 'x', schema: {} })
  const wrong = { method: 'GET', url: '/x', handler: () => {}, config: { scope: 'admin' } } as unknown as RouteOptions
  t.not(documented(route.schema).scope, enforced(wrong).scope)
  t.same(documented(route.schema), { scope: 'read', audited: false, open: false })
  t.same(documented({ description: `${SCOPE_TEXT.read} ${SCOPE_TEXT.admin}` }).scope, 'several')
  t.same(documented({}).scope, 'unstated')
  const open = defineRoute({ scope: 'none', operationId: 'x', rateLimit: false, tag: 'x', summary: 'x', description: 'x', schema: {} })
  t.same(open.config, { scope: 'none', rateLimit: false })
  t.same(documented(open.schema), { scope: 'none', audited: false, open: true })
  const audited = defineRoute({ scope: 'write', operationId: 'x', audit: 'thing.do', tag: 'x', summary: 'x', description: 'x', schema: {} })
  t.same(documented(audited.schema), { scope: 'write', audited: true, open: false })
})
