/** Admin sessions only: the API keys (never a secret) and the audit log, read-only. */
import type { z } from 'zod'
import type { apiKeySchema } from '../../api/api-key-views.js'
import type { auditPageSchema } from '../../api/audit.js'
import { instant } from '../format.js'
import { html, type Html } from '../html.js'
import { page, type SessionFrame } from '../layout.js'

export function keysPage (frame: SessionFrame, keys: Array<z.output<typeof apiKeySchema>>): Html {
  return page({ ...frame, title: 'API keys', current: 'keys' }, html`<h1>API keys</h1>
<p class="muted">Read-only. Create and revoke keys with <code>POST /v1/keys</code> and <code>DELETE /v1/keys/{id}</code>, or <code>depgate keys</code>.</p>
<div class="table-wrap"><table><thead><tr><th scope="col">Id</th><th scope="col">Label</th><th scope="col">Scope</th><th scope="col">Created</th><th scope="col">Last used</th><th scope="col">Revoked</th></tr></thead>
<tbody>${keys.map((k) => html`<tr><td><code>${k.id}</code></td><td>${k.label}</td><td>${k.scope}</td><td>${instant(k.created_at)}</td><td>${instant(k.last_used_at)}</td>
<td>${k.revoked_at === null ? '' : html`<span class="badge bad">${instant(k.revoked_at)}</span>`}</td></tr>`)}</tbody></table></div>`)
}

export function auditLogPage (frame: SessionFrame, entries: z.output<typeof auditPageSchema>, nextHref: string | undefined): Html {
  return page({ ...frame, title: 'Audit log', current: 'audit' }, html`<h1>Audit log</h1>
<p class="muted">Newest first. The whole log, with filters, is <code>GET /v1/audit</code>.</p>
<div class="table-wrap"><table><thead><tr><th scope="col">When</th><th scope="col">Key</th><th scope="col">Action</th><th scope="col">Server</th><th scope="col">Target</th><th scope="col">Result</th><th scope="col">Detail</th></tr></thead>
<tbody>${entries.entries.map((e) => html`<tr><td>${instant(e.at)}</td><td><code>${e.key_id ?? '—'}</code></td><td>${e.action}</td><td>${e.server ?? ''}</td>
<td class="wrap">${e.target}</td><td>${e.result}</td><td class="wrap">${e.detail ?? ''}</td></tr>`)}</tbody></table></div>
${nextHref !== undefined && html`<p class="pager"><a rel="next" href="${nextHref}">Older entries</a></p>`}`)
}
