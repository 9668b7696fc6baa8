/**
 * The webhooks plugin's configuration and metrics: DEPGATE_WEBHOOK_ALLOW refuses other hosts when a
 * subscription is written, and a scrape while the backlog cannot be read leaves the backlog gauges
 * out (logged) instead of failing /metrics; a token event the store cannot record is logged.
 */
import t from 'tap'
import { buildTestApp, until } from '../../helper.js'

t.test('allow-list and a backlog that cannot be read', async (t) => {
  const { app, auth, logs } = await buildTestApp(t, {
    env: { DEPGATE_WEBHOOK_ALLOW: 'hooks.example.com, *.corp.example' },
    wrapStore: (store) => ({
      ...store,
      webhookDeliveries: { ...store.webhookDeliveries, backlog: async () => { throw new Error('database down') } },
      webhooks: { ...store.webhooks, record: async () => { throw new Error('database down') } }
    })
  })
  const post = async (url: string, enabled = true) => await app.inject({ method: 'POST', url: '/v1/webhooks', headers: auth(), payload: { url, enabled } })
  const refused = await post('http://10.1.2.3/hook')
  t.match(refused.json(), { status: 400, code: 'WEBHOOK_URL_REFUSED', detail: /host 10\.1\.2\.3 is not in DEPGATE_WEBHOOK_ALLOW/ })
  const made = await post('https://a.corp.example/hook', false)
  t.equal(made.statusCode, 201)
  t.match(made.json(), { enabled: false, disabled_reason: null })
  const off = await app.inject({ method: 'PATCH', url: `/v1/webhooks/${made.json<{ id: string }>().id}`, headers: auth(), payload: { enabled: false } })
  t.match(off.json(), { enabled: false })
  const metrics = await app.inject({ method: 'GET', url: '/metrics' })
  t.equal(metrics.statusCode, 200)
  t.notMatch(metrics.body, /depgate_webhook_queue_depth\{/)
  t.ok(logs.some((l) => l.includes('could not read the webhook backlog')))
  app.depServers.emitTokenEvent('terms.signed', 'default')
  await until('the failure to be logged', async () => logs.some((l) => l.includes('webhooks: could not record a token event')))
})
