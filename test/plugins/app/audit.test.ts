import t from 'tap'
import { checkAuditOptOut } from '../../../plugins/app/audit.js'
import { buildTestApp } from '../../helper.js'

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
  // Entries are written after the answer is sent, in the order of the requests.
  let entries = await store.audit.list({ limit: 50 })
  for (let i = 0; i < 100 && !entries.some((e) => e.action === 'profile.remove'); i++) {
    await new Promise((resolve) => setTimeout(resolve, 10))
    entries = await store.audit.list({ limit: 50 })
  }
  t.same(entries.map((e) => e.action), ['profile.remove'], 'the write only, the reads (refused or not) not at all')
})
