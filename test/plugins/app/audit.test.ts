import t from 'tap'
import { checkAuditOptOut, isAudited } from '../../../plugins/app/audit.js'
import { buildTestApp, until } from '../../helper.js'

t.test('only a read-scope route may declare itself a read (audit: false)', async (t) => {
  t.doesNotThrow(() => checkAuditOptOut({ method: 'POST', url: '/r', config: { scope: 'read', audit: false } }))
  t.doesNotThrow(() => checkAuditOptOut({ method: 'GET', url: '/p', config: { scope: 'none', audit: false } }))
  t.doesNotThrow(() => checkAuditOptOut({ method: 'PUT', url: '/w', config: { scope: 'write', audit: 'thing.put' } }))
  t.doesNotThrow(() => checkAuditOptOut({ method: 'DELETE', url: '/n' }))
  t.throws(() => checkAuditOptOut({ method: 'POST', url: '/w', config: { scope: 'write', audit: false } }),
    /POST \/w declares audit: false but needs the "write" scope/)
  t.throws(() => checkAuditOptOut({ method: ['PUT', 'PATCH'], url: '/a', config: { audit: false } }),
    /PUT,PATCH \/a declares audit: false but needs the "admin" scope/, 'no scope means admin')
})

t.test('audited: a named action whatever the method, a write method unless declared a read', async (t) => {
  t.ok(isAudited('GET', 'server.certificate'), 'a GET that names its action (it stages a key pair)')
  t.ok(isAudited('POST', undefined))
  t.ok(isAudited('DELETE', 'key.revoke'))
  t.notOk(isAudited('POST', false))
  t.notOk(isAudited('GET', undefined))
  t.notOk(isAudited('HEAD', undefined))
})

t.test('the real app: POST …/devices/details is a read and is not audited; a write is', async (t) => {
  const { app, auth, store, sim } = await buildTestApp(t)
  const truth = await sim?.app.inject('/_sim/devices')
  const serial = (truth?.json() as { devices: Array<{ serial_number: string }> }).devices[0].serial_number
  const details = await app.inject({ method: 'POST', url: '/v1/servers/default/devices/details', headers: auth(), payload: { serials: [serial] } })
  t.equal(details.statusCode, 200)
  const refused = await app.inject({ method: 'POST', url: '/v1/servers/default/devices/details', headers: auth(), payload: { serials: ['?'] } })
  t.equal(refused.statusCode, 400)
  const removed = await app.inject({ method: 'DELETE', url: '/v1/servers/default/devices/profile', headers: auth(), payload: { serials: [serial] } })
  t.equal(removed.statusCode, 200)
  t.equal((await app.inject({ url: '/v1/servers/default/apple/account', headers: auth() })).statusCode, 200)
  // Entries are written after the answer is sent, in the order of the requests.
  const entries = await until('the pass-through\'s entry', async () => {
    const list = await store.audit.list({ limit: 50 })
    return list.some((e) => e.action === 'apple.passthrough') && list
  })
  t.same(entries.map((e) => e.action).sort(), ['apple.passthrough', 'profile.remove'], 'the write and the named pass-through only; the details reads (refused or not) not at all')
})

t.test('an attempt whose outcome cannot be written is logged; the answer stands', async (t) => {
  const { app, auth, logs, store } = await buildTestApp(t, {
    wrapStore: (s) => ({ ...s, audit: { ...s.audit, finish: async () => { throw new Error('disk full') } } })
  })
  const res = await app.inject({ method: 'PUT', url: `/v1/servers/default/profiles/${'F'.repeat(32)}/devices`, headers: auth(), payload: { serials: ['C02XK1ABCDEF'] } })
  t.equal(res.statusCode, 404)
  await app.close()
  t.match(logs.join('\n'), /could not write the audit log/)
  t.match(await store.audit.list({ action: 'profile.assign' }), [{ result: 'pending', serials: ['C02XK1ABCDEF'] }], 'the attempt stays visible')
})
