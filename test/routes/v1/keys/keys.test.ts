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
  t.equal(created.headers.location, `/v1/keys/${body.id}`, 'Location: the key made')
  const one = await app.inject({ url: created.headers.location, headers: auth() })
  t.equal(one.statusCode, 200)
  t.same(one.json(), { id: body.id, label: 'munki', scope: 'read', created_at: body.created_at, last_used_at: null, revoked_at: null }, 'the key at its Location, without its secret')
  t.match((await app.inject({ url: '/v1/keys/aaaaaaaaaaaa', headers: auth() })).json(), { status: 404, code: 'KEY_NOT_FOUND', detail: 'No API key with id aaaaaaaaaaaa.' })

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
  t.match((await app.inject({ url: `/v1/keys/${body.id}`, headers: auth() })).json(), { id: body.id, revoked_at: String }, 'a revoked key is still shown, with revoked_at')
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

t.test('a JSON route sent another media type answers 415; a route without a body ignores any', async (t) => {
  const { app, auth } = await buildTestApp(t, { simulator: false })
  for (const type of ['text/plain', 'text/plain; charset=utf-8', 'application/xml', 'application/x-www-form-urlencoded']) {
    const res = await app.inject({ method: 'POST', url: '/v1/keys', headers: { ...auth(), 'content-type': type }, payload: '{"label":"x","scope":"read"}' })
    t.equal(res.statusCode, 415, type)
    t.match(res.headers['content-type'], /^application\/problem\+json/)
    t.match(res.json(), { code: 'UNSUPPORTED_MEDIA_TYPE', detail: 'Send the request body as application/json.' })
  }
  const untyped = await app.inject({ method: 'POST', url: '/v1/keys', headers: auth(), payload: Buffer.from('{"label":"x","scope":"read"}') })
  t.equal(untyped.statusCode, 415, 'a body without a Content-Type')
  t.equal((await app.inject({ method: 'POST', url: '/v1/keys', headers: { ...auth(), 'content-type': 'application/json' }, payload: '{"label":"x","scope":"read"}' })).statusCode, 201)
  const hook = (await app.inject({ method: 'POST', url: '/v1/webhooks', headers: auth(), payload: { url: 'https://hooks.example.com/x' } })).json()
  const test = await app.inject({ method: 'POST', url: `/v1/webhooks/${hook.id}/test`, headers: { ...auth(), 'content-type': 'text/plain' }, payload: 'anything' })
  t.equal(test.statusCode, 202, 'a route that reads no body ignores a text one')
  const broken = await app.inject({ method: 'POST', url: `/v1/webhooks/${hook.id}/test`, headers: { ...auth(), 'content-type': 'application/json' }, payload: '{"not json' })
  t.equal(broken.statusCode, 202, 'and a JSON one, even malformed')
  t.equal((await app.inject({ method: 'POST', url: '/v1/keys', headers: { ...auth(), 'content-type': 'application/json' }, payload: '{"not json' })).json().code, 'MALFORMED_JSON', 'a route that reads its body refuses malformed JSON')
})
