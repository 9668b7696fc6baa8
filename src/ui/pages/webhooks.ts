/** Admin sessions only: the webhook subscriptions (never a secret), their delivery health, and the latest failed deliveries. */
import type { SubscriptionHealth, WebhookHealth } from '../../api/webhook-health.js'
import { count, instant } from '../format.js'
import { html, type Html, type Part } from '../html.js'
import { page, type SessionFrame } from '../layout.js'
import { since } from './overview.js'

const DISABLED = {
  gone: 'depgate disabled it: the receiver answered 410 Gone',
  failing: 'depgate disabled it: its deliveries failed for 3 days'
} as const

function state (s: SubscriptionHealth): Html {
  const w = s.webhook
  if (w.enabled) return html`<span class="badge ok">enabled</span>`
  const why = w.disabled_reason === null ? `disabled with PATCH /v1/webhooks/${w.id}` : DISABLED[w.disabled_reason]
  return html`<span class="badge bad">disabled</span> ${why}; <code>PATCH</code> it with <code>{"enabled": true}</code> to send what waits`
}

/** "HTTP 500: upstream down", "no answer: connect ECONNREFUSED", or the status alone. */
function outcome (status: number | null, error: string | null): Part {
  const head = status === null ? 'no answer' : `HTTP ${status}`
  return error === null ? head : `${head}: ${error}`
}

function subscriptionPanel (s: SubscriptionHealth, now: number): Html {
  const w = s.webhook
  const f = s.last_failure
  return html`<section class="panel" aria-labelledby="webhook-${w.id}">
  <h2 id="webhook-${w.id}">${w.description === '' ? w.id : w.description} <span class="muted">· ${w.id}</span></h2>
  <dl class="facts">
    <dt>URL</dt><dd class="wrap"><code>${w.url}</code></dd>
    <dt>Events</dt><dd>${w.events.join(', ')}</dd>
    <dt>Servers</dt><dd>${w.servers.join(', ')}</dd>
    <dt>Orgs</dt><dd>${w.orgs.join(', ')}</dd>
    <dt>State</dt><dd>${state(s)}</dd>
    <dt>Deliveries</dt><dd><span data-count="pending">${count(s.counts.pending)}</span> pending ·
      <span data-count="succeeded">${count(s.counts.succeeded)}</span> succeeded ·
      <span data-count="failed">${count(s.counts.failed)}</span> given up</dd>
    <dt>Oldest undelivered</dt><dd>${s.oldest_pending_at === null ? html`<span class="muted">nothing waits</span>` : since(s.oldest_pending_at, now)}</dd>
    <dt>Last success</dt><dd>${since(s.last_success_at, now)}</dd>
    <dt>Last failure</dt><dd>${f === null
      ? html`<span class="muted">none</span>`
      : html`<span class="badge bad">${f.last_status ?? 'no answer'}</span> <span class="wrap">${outcome(f.last_status, f.last_error)}</span> <span class="muted">(${instant(f.last_attempt_at)}, ${f.event_type})</span>`}</dd>
  </dl>
</section>`
}

export function webhooksPage (frame: SessionFrame, v: WebhookHealth, now: number): Html {
  return page({ ...frame, title: 'Webhooks', current: 'webhooks' }, html`<h1>Webhooks</h1>
<p class="muted">Read-only. Manage subscriptions with <code>POST /v1/webhooks</code> and <code>PATCH /v1/webhooks/{id}</code>; every delivery is <code>GET /v1/webhooks/{id}/deliveries</code>.</p>
${v.subscriptions.length === 0
    ? html`<p class="panel">No webhook subscriptions: create one with <code>POST /v1/webhooks</code>.</p>`
    : v.subscriptions.map((s) => subscriptionPanel(s, now))}
<section aria-labelledby="failures"><h2 id="failures">Latest failed deliveries</h2>
${v.failures.length === 0
    ? html`<p>No delivery has failed.</p>`
    : html`<div class="table-wrap"><table><thead><tr><th scope="col">Last attempt</th><th scope="col">Subscription</th><th scope="col">Event</th><th scope="col">State</th>
<th scope="col">Attempts</th><th scope="col">Answer</th><th scope="col">Next attempt</th></tr></thead>
<tbody>${v.failures.map((d) => html`<tr><td>${instant(d.last_attempt_at)}</td><td><a href="#webhook-${d.webhook_id}"><code>${d.webhook_id}</code></a></td>
<td>${d.event_type} <code class="muted">${d.event_id}</code></td><td>${d.status === 'failed' ? html`<span class="badge bad">given up</span>` : html`<span class="badge warn">retrying</span>`}</td>
<td>${d.attempts}</td><td>${outcome(d.last_status, d.last_error)}</td><td>${instant(d.next_attempt_at)}</td></tr>`)}</tbody></table></div>`}
</section>`)
}
