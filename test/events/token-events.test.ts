/**
 * Token events reach webhook subscriptions signed: token.renewed when a server's token is
 * replaced, token.expiring when the check finds it near expiry, terms events; each fact once,
 * however often it is noticed (keyed events: every replica runs the expiry check).
 */
import t from 'tap'
import { DEPSIM_CREDENTIALS } from '../../src/simulator/index.js'
import { buildTestApp, until } from '../helper.js'
import { startReceiver, verifyAt } from './receiver.js'

t.test('token events arrive once each, signed, without a secret', async (t) => {
  const receiver = await startReceiver()
  t.teardown(receiver.close)
  const { app, auth, sim } = await buildTestApp(t)
  const sub = (await app.inject({ method: 'POST', url: '/v1/webhooks', headers: auth(), payload: { url: receiver.url('/tokens'), events: ['token.renewed', 'token.expiring', 'token.expired', 'terms.not_signed'] } })).json<{ secret: string }>()
  const soon = new Date(Date.now() + 5.5 * 86_400_000).toISOString().replace(/\.\d{3}Z$/, 'Z')
  const put = await app.inject({ method: 'PUT', url: '/v1/servers/default', headers: auth(), payload: { token: { ...DEPSIM_CREDENTIALS, access_token_expiry: soon }, base_url: sim!.url } })
  t.equal(put.statusCode, 200)
  app.checkTokenHealth()
  app.depServers.emitTokenEvent('terms.not_signed', 'default')
  app.depServers.emitTokenEvent('terms.not_signed', 'default')
  app.depServers.emitTokenEvent('token.expired', 'default')
  app.depServers.emitTokenEvent('token.expired', 'default')
  await until('four token events', async () => receiver.at('/tokens').length >= 4)
  const events = receiver.at('/tokens').map((r) => verifyAt(sub.secret, r, Date.now()) as { type: string, data: Record<string, unknown> })
  t.same(events.map((e) => e.type).sort(), ['terms.not_signed', 'token.expired', 'token.expiring', 'token.renewed'])
  t.match(events.find((e) => e.type === 'token.expiring'), { data: { server: 'default', token_expires_at: new Date(soon).toISOString(), days_left: 5, token_fingerprint: String } })
  t.notOk(receiver.at('/tokens').some((r) => r.body.includes(DEPSIM_CREDENTIALS.access_secret)), 'no token secret in any event')
  const ids = new Set(receiver.at('/tokens').map((r) => r.headers['webhook-id']))
  t.equal(ids.size, 4, 'the events noticed twice were recorded once')
})
