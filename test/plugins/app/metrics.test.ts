import t from 'tap'
import { createMetrics } from '../../../plugins/app/metrics.js'

t.test('DEP client events become series labelled by server', async (t) => {
  const m = createMetrics()
  m.onDepEvent('paris', { type: 'request', endpoint: 'fetch_devices', method: 'POST', status: 200, durationMs: 120 })
  m.onDepEvent('paris', { type: 'session', outcome: 'rotated' })
  m.onDepEvent('paris', { type: 'retry', endpoint: 'fetch_devices', reason: 'status_503', delayMs: 500 })
  m.observeHttp('GET', '/v1/servers', 200, 0.01)
  const text = await m.registry.metrics()
  t.match(text, /depgate_upstream_request_duration_seconds_count\{server="paris",endpoint="fetch_devices",status="200"\} 1/)
  t.match(text, /depgate_dep_sessions_total\{server="paris",outcome="rotated"\} 1/)
  t.match(text, /depgate_dep_retries_total\{server="paris",endpoint="fetch_devices",reason="status_503"\} 1/)
  t.match(text, /depgate_http_requests_total\{method="GET",route="\/v1\/servers",status="200"\} 1/)
  t.match(text, /depgate_process_cpu/, 'process metrics, prefixed')
  t.notMatch(await createMetrics().registry.metrics(), /paris/, 'each app has its own registry')
})

t.test('forgetServer drops a server\'s series from every metric, the other servers\' stay', async (t) => {
  const m = createMetrics()
  for (const server of ['paris', 'lyon']) {
    m.onDepEvent(server, { type: 'request', endpoint: 'account', method: 'GET', status: 200, durationMs: 10 })
    m.onDepEvent(server, { type: 'session', outcome: 'acquired' })
    m.onDepEvent(server, { type: 'retry', endpoint: 'account', reason: 'status_503', delayMs: 10 })
  }
  m.observeHttp('GET', '/v1/servers/:server/account', 200, 0.01)
  await m.forgetServer('paris')
  const text = await m.registry.metrics()
  t.notMatch(text, /server="paris"/)
  t.match(text, /depgate_upstream_request_duration_seconds_bucket\{le="\+Inf",server="lyon",endpoint="account",status="200"\} 1/)
  t.match(text, /depgate_dep_sessions_total\{server="lyon",outcome="acquired"\} 1/)
  t.match(text, /depgate_dep_retries_total\{server="lyon",endpoint="account",reason="status_503"\} 1/)
  t.match(text, /depgate_http_requests_total\{method="GET",route="\/v1\/servers\/:server\/account",status="200"\} 1/)
})
