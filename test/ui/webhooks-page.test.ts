/**
 * The webhooks page on its own: every state a subscription can be in (enabled, disabled by 410,
 * by 3 days of failures, by a person), deliveries without any failure, failures with and without
 * an answer, nothing at all; every value escaped.
 */
import t from 'tap'
import type { SubscriptionHealth } from '../../src/api/webhook-health.js'
import type { Viewer } from '../../src/ui/layout.js'
import { webhooksPage } from '../../src/ui/pages/webhooks.js'

const NOW = Date.parse('2026-12-07T10:00:00Z')
const viewer: Viewer = { keyId: 'abc', label: 'ops', scope: 'admin', expiresAt: '2026-12-07T18:00:00Z' }
const frame = { viewer, csrf: 'tok' }

const webhook = {
  id: '0a1b2c3d4e5f',
  url: 'https://hooks.example.com/x?a=1&b="><script>alert(1)</script>',
  description: 'Tickets <b>now</b>',
  events: ['token.expiring', 'device.added'],
  servers: ['*'],
  orgs: ['acme'],
  enabled: true,
  disabled_reason: null,
  previous_secret_until: null,
  created_at: '2026-12-01T00:00:00Z',
  updated_at: '2026-12-01T00:00:00Z'
}
const failure = {
  id: 7,
  event_id: 'msg_1',
  event_type: 'device.added',
  status: 'pending' as const,
  attempts: 2,
  last_status: 500,
  last_error: 'upstream <down>',
  next_attempt_at: '2026-12-07T10:05:00Z',
  created_at: '2026-12-07T09:00:00Z',
  last_attempt_at: '2026-12-07T09:55:00Z'
}
const healthy: SubscriptionHealth = {
  webhook,
  counts: { pending: 0, succeeded: 1200, failed: 0 },
  oldest_pending_at: null,
  last_success_at: '2026-12-07T09:50:00Z',
  last_failure: null
}

t.test('nothing subscribed', async (t) => {
  const page = webhooksPage(frame, { subscriptions: [], failures: [] }, NOW).text
  t.match(page, /No webhook subscriptions/)
  t.match(page, /No delivery has failed\./)
  t.match(page, /href="\/ui\/webhooks" aria-current="page"/, 'the navigation marks the page')
})

t.test('subscriptions: health, states, failures, escaped', async (t) => {
  const subscriptions: SubscriptionHealth[] = [
    healthy,
    {
      webhook: { ...webhook, id: '111111111111', description: '', enabled: false, disabled_reason: 'gone' },
      counts: { pending: 3, succeeded: 0, failed: 1 },
      oldest_pending_at: '2026-12-07T08:00:00Z',
      last_success_at: null,
      last_failure: { ...failure, status: 'failed', last_status: 410, last_error: null, next_attempt_at: null }
    },
    { ...healthy, webhook: { ...webhook, id: '222222222222', enabled: false, disabled_reason: 'failing' }, last_failure: { ...failure, last_status: null, last_error: 'connect ECONNREFUSED' } },
    { ...healthy, webhook: { ...webhook, id: '333333333333', enabled: false } }
  ]
  const failures = [
    { ...subscriptions[1].last_failure!, webhook_id: '111111111111' },
    { ...failure, webhook_id: '0a1b2c3d4e5f' }
  ]
  const page = webhooksPage(frame, { subscriptions, failures }, NOW).text
  t.match(page, 'https://hooks.example.com/x?a=1&amp;b=&quot;&gt;&lt;script&gt;alert(1)&lt;/script&gt;', 'the URL is text, escaped')
  t.match(page, 'Tickets &lt;b&gt;now&lt;/b&gt;')
  t.match(page, '<dt>Orgs</dt><dd>acme</dd>', 'the orgs filter is shown')
  t.notMatch(page, /<script>|<b>now/)
  t.match(page, /<span data-count="succeeded">1,200<\/span> succeeded/)
  t.match(page, /<span class="badge ok">enabled<\/span>/)
  t.match(page, /<h2 id="webhook-111111111111">111111111111 <span class="muted">· 111111111111/, 'without a description, the id')
  t.match(page, /the receiver answered 410 Gone/)
  t.match(page, /its deliveries failed for 3 days/)
  t.match(page, /disabled with PATCH \/v1\/webhooks\/333333333333/)
  t.match(page, /nothing waits/)
  t.match(page, /2026-12-07 08:00 UTC · <span data-since="2026-12-07T08:00:00Z">2 h ago<\/span>/, 'the oldest undelivered event\'s age')
  t.match(page, /<dt>Last success<\/dt><dd><span class="muted">never<\/span>/)
  t.match(page, /<span class="badge bad">410<\/span> <span class="wrap">HTTP 410<\/span>/, 'a failure with a status and no error')
  t.match(page, /<span class="badge bad">no answer<\/span> <span class="wrap">no answer: connect ECONNREFUSED<\/span>/)
  t.match(page, /<span class="badge bad">given up<\/span>/)
  t.match(page, /<span class="badge warn">retrying<\/span>/)
  t.match(page, /HTTP 500: upstream &lt;down&gt;/)
  t.match(page, /<a href="#webhook-0a1b2c3d4e5f"><code>0a1b2c3d4e5f<\/code><\/a>/, 'each failure links to its subscription')
  t.notMatch(page, /whsec_/)
})
