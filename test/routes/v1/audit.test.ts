/**
 * GET /v1/audit and GET /v1/audit/{id}/serials: filters, paging, bad filters, scope; the attempt
 * of a call to Apple is visible (pending, with its serials) while Apple has not answered.
 */
import t from 'tap'
import { serialsDigest } from '../../../src/store/index.js'
import { buildTestApp, until } from '../../helper.js'

const S = '/v1/servers/default'
const many = (n: number) => Array.from({ length: n }, (_, i) => `C02A${String(i).padStart(8, '0')}`)

t.test('GET /v1/audit', async (t) => {
  const { app, auth, createKey, sim } = await buildTestApp(t, { env: { DEPGATE_ALLOW_DISOWN: 'true' } })
  const get = async (query: string, headers = auth()) => await app.inject({ url: `/v1/audit${query}`, headers })

  const created = await app.inject({ method: 'POST', url: '/v1/keys', headers: auth(), payload: { label: 'reports', scope: 'read' } })
  const keyId = created.json().id as string
  t.equal((await app.inject({ method: 'DELETE', url: `/v1/keys/${keyId}`, headers: auth() })).statusCode, 204)
  t.equal((await app.inject({ method: 'DELETE', url: `/v1/keys/${keyId}`, headers: auth() })).statusCode, 404)
  const define = await app.inject({ method: 'POST', url: `${S}/profiles`, headers: auth(), payload: { profile_name: 'A', url: 'https://mdm.example.com/enroll' } })
  t.equal(define.statusCode, 200)
  const serials = many(1200)
  // Above 1000 serials a PUT …/profiles/{uuid}/devices becomes a job (audited per chunk); a removal stays one call.
  t.equal((await app.inject({ method: 'DELETE', url: `${S}/devices/profile`, headers: auth(), payload: { serials } })).statusCode, 200)

  const all = (await get('')).json()
  t.same(all.entries.map((e: { action: string }) => e.action), ['profile.remove', 'profile.define', 'key.revoke', 'key.revoke', 'key.create'], 'newest first')
  t.equal(all.next_page_token, null)
  t.match(all.entries[0], { key_id: 'bootstrap', server: 'default', result: 'ok', serial_count: 1200, serials: null, serials_sha256: serialsDigest(serials), serials_ref: `/v1/audit/${all.entries[0].id as string}/serials`, finished_at: String })
  t.match(all.entries[2], { action: 'key.revoke', result: 'KEY_NOT_FOUND', target: `/v1/keys/${keyId}` })
  t.match(all.entries[4], { action: 'key.create', result: 'ok', detail: 'scope=read', target: `/v1/keys/${keyId}`, server: null, serials: null })

  const list = await app.inject({ url: all.entries[0].serials_ref, headers: auth() })
  t.same(list.json(), { id: all.entries[0].id, serials }, 'the reference gives the whole list back')
  t.equal((await app.inject({ url: `/v1/audit/${all.entries[4].id as string}/serials`, headers: auth() })).json().serials.length, 0, 'an entry without serials has none')
  t.match((await app.inject({ url: '/v1/audit/000000000-0000-00000000/serials', headers: auth() })).json(), { code: 'AUDIT_ENTRY_NOT_FOUND' })
  t.match((await app.inject({ url: '/v1/audit/nope/serials', headers: auth() })).json(), { code: 'VALIDATION_FAILED' })

  t.same((await get('?action=key.revoke')).json().entries.map((e: { result: string }) => e.result), ['KEY_NOT_FOUND', 'ok'])
  t.equal((await get('?key=bootstrap')).json().entries.length, 5)
  t.equal((await get('?key=cli')).json().entries.length, 0)
  t.same((await get('?server=default')).json().entries.map((e: { action: string }) => e.action), ['profile.remove', 'profile.define'])
  const at = all.entries[2].at as string
  t.ok((await get(`?since=${encodeURIComponent(at)}`)).json().entries.every((e: { at: string }) => e.at >= at))
  t.ok((await get(`?until=${encodeURIComponent(at)}`)).json().entries.every((e: { at: string }) => e.at <= at))
  t.equal((await get('?since=2999-01-01T00:00:00%2B02:00')).json().entries.length, 0, 'an offset is understood')

  // Pages of 2, then a page token reused with other filters, cut short, or made up.
  const ids: string[] = []
  let token: string | null = null
  do {
    const page: { entries: Array<{ id: string }>, next_page_token: string | null } = (await get(`?limit=2${token === null ? '' : `&page_token=${token}`}`)).json()
    ids.push(...page.entries.map((e: { id: string }) => e.id))
    token = page.next_page_token
  } while (token !== null)
  t.same(ids, all.entries.map((e: { id: string }) => e.id), 'the pages cover the log once, in order')
  const first = (await get('?limit=2')).json().next_page_token as string
  for (const [query, code] of [
    [`?limit=2&page_token=${first}&action=key.create`, 'INVALID_PAGE_TOKEN'],
    [`?page_token=${first.slice(0, 10)}`, 'INVALID_PAGE_TOKEN'],
    ['?page_token=%7B', 'INVALID_PAGE_TOKEN'],
    [`?page_token=${Buffer.from('[1,2]').toString('base64url')}`, 'INVALID_PAGE_TOKEN'],
    ['?since=yesterday', 'VALIDATION_FAILED'],
    ['?since=2026-03-01T10:00:00', 'VALIDATION_FAILED'],
    ['?since=2026-03-02T00:00:00Z&until=2026-03-01T00:00:00Z', 'VALIDATION_FAILED'],
    ['?limit=0', 'VALIDATION_FAILED'],
    ['?limit=1001', 'VALIDATION_FAILED'],
    ['?server=Not_A_Server', 'VALIDATION_FAILED'],
    ['?action=%01', 'VALIDATION_FAILED']
  ]) {
    const res = await get(query)
    t.match({ status: res.statusCode, type: res.headers['content-type'], code: res.json().code }, { status: 400, type: /application\/problem\+json/, code }, query)
  }
  const reader = await createKey('read')
  t.equal((await get('', auth(reader))).statusCode, 403, 'admin only')
  t.equal((await get('', {} as never)).statusCode, 401)

  t.test('an attempt is visible, pending with its serials, while Apple has not answered', async (t) => {
    await sim!.app.inject({ method: 'POST', url: '/_sim/faults', payload: { endpoint: 'disown_devices', kind: 'latency', ms: 1500 } })
    const call = app.inject({ method: 'POST', url: `${S}/devices/disown`, headers: auth(), payload: { serials: ['C02ZZZZ00001'], confirm: 'DISOWN 1 DEVICE FROM default' } })
    const pending = await until('the attempt', async () => (await get('?action=devices.disown')).json().entries.find((e: { result: string }) => e.result === 'pending'))
    t.match(pending, { serials: ['C02ZZZZ00001'], serial_count: 1, finished_at: null, detail: '1 serial(s)' })
    t.equal((await call).statusCode, 200)
    t.match((await get('?action=devices.disown')).json().entries, [{ id: pending.id, result: 'ok', detail: '1 serial(s): {"NOT_ACCESSIBLE":1}', finished_at: String }])
  })
})
