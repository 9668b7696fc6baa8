import t from 'tap'
import { buildTestApp, until } from '../../../helper.js'

t.test('keys lifecycle: create (secret once), list (no secrets), use, revoke', async (t) => {
  const { app, auth, store } = await buildTestApp(t, { simulator: false })
  const created = await app.inject({ method: 'POST', url: '/v1/keys', headers: auth(), payload: { label: '  munki  ', scope: 'read' } })
  t.equal(created.statusCode, 201)
  t.equal(created.headers['cache-control'], 'no-store')
  const body = created.json()
  t.match(body, { label: 'munki', scope: 'read', last_used_at: null, revoked_at: null })
  t.match(body.key, new RegExp(`^dgk_${body.id}_`))

  const listed = await app.inject({ url: '/v1/keys', headers: auth() })
  t.equal(listed.statusCode, 200)
  t.same(listed.json().keys.map((k: { id: string }) => k.id), [body.id])
  t.notOk(listed.body.includes(body.key.split('_').pop()), 'no secret in the list')
  t.notMatch(listed.body, /hash/)

  const used = await app.inject({ url: '/v1/servers', headers: auth(body.key) })
  t.equal(used.statusCode, 200)
  // Recorded after the answer (on PostgreSQL that write can still be in flight here).
  t.ok(await until('last_used_at', async () => (await store.keys.get(body.id))?.lastUsedAt ?? undefined), 'last_used_at recorded')

  t.equal((await app.inject({ method: 'DELETE', url: `/v1/keys/${body.id}`, headers: auth() })).statusCode, 204)
  t.equal((await app.inject({ url: '/v1/servers', headers: auth(body.key) })).statusCode, 401, 'revoked at once')
  const again = await app.inject({ method: 'DELETE', url: `/v1/keys/${body.id}`, headers: auth() })
  t.equal(again.statusCode, 404)
  t.equal(again.json().code, 'KEY_NOT_FOUND')
  const badId = await app.inject({ method: 'DELETE', url: '/v1/keys/not-an-id', headers: auth() })
  t.equal(badId.statusCode, 400)
  t.equal(badId.json().errors[0].field, 'params.id')

  const stranger = await app.inject({ method: 'POST', url: '/v1/keys', payload: { label: 'x', scope: 'admin' } })
  t.equal(stranger.statusCode, 401)
  // Audit entries are written once the answer is sent: wait for the last one.
  const audit = await until('the audit entries', async () => { const all = await store.audit.list(); return all.length >= 4 && all })
  t.same(audit.map((e) => [e.action, e.result, e.keyId]), [
    ['key.revoke', 'VALIDATION_FAILED', 'bootstrap'],
    ['key.revoke', 'KEY_NOT_FOUND', 'bootstrap'],
    ['key.revoke', 'ok', 'bootstrap'],
    ['key.create', 'ok', 'bootstrap']
  ], 'every authenticated write audited with key id and result (refusals too); strangers are not')
  t.equal(audit[2].target, `/v1/keys/${body.id}`)
  t.equal(audit[3].target, `/v1/keys/${body.id}`)
  t.equal(audit[3].detail, 'scope=read')
})
