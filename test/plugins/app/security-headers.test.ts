/**
 * Every kind of answer carries nosniff and no-store: a plain read, Apple's data, a created key
 * (shown once), a problem (401, 404, 400), a public route, the pass-through and a URL refused
 * before any hook runs.
 */
import type { InjectOptions } from 'fastify'
import t from 'tap'
import { SECURITY_HEADERS } from '../../../plugins/app/security-headers.js'
import { buildTestApp } from '../../helper.js'

t.test('nosniff and no-store on every kind of answer', async (t) => {
  const { app, auth, createKey } = await buildTestApp(t)
  const read = await createKey('read')
  const cases: Array<[string, InjectOptions, number]> = [
    ['liveness (public)', { method: 'GET', url: '/healthz' }, 200],
    ['the OpenAPI document (public)', { method: 'GET', url: '/openapi.json' }, 200],
    ['Apple account data', { method: 'GET', url: '/v1/servers/default/account', headers: auth(read) }, 200],
    ['a created key, shown once', { method: 'POST', url: '/v1/keys', headers: auth(), payload: { label: 'ci', scope: 'read' } }, 201],
    ['no key: 401 problem', { method: 'GET', url: '/v1/servers/default/account' }, 401],
    ['too little scope: 403 problem', { method: 'POST', url: '/v1/keys', headers: auth(read), payload: { label: 'x', scope: 'read' } }, 403],
    ['unknown route: 404 problem', { method: 'GET', url: '/nope', headers: auth() }, 404],
    ['invalid body: 400 problem', { method: 'POST', url: '/v1/keys', headers: auth(), payload: { scope: 'root' } }, 400],
    ['Apple\'s answer through the pass-through', { method: 'GET', url: '/v1/servers/default/apple/account', headers: auth() }, 200],
    ['a URL no hook sees: 400 BAD_URL', { method: 'GET', url: '/v1/servers/default/devices/%E0%A4%A', headers: auth() }, 400]
  ]
  for (const [what, req, status] of cases) {
    const res = await app.inject(req)
    t.equal(res.statusCode, status, `${what}: ${status}`)
    for (const [name, value] of Object.entries(SECURITY_HEADERS)) t.equal(res.headers[name], value, `${what}: ${name}`)
  }
})
