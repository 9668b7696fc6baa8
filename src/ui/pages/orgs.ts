/**
 * The Apple Business / School Manager side: each org's API account (never a secret), its access
 * token, its mirror, its MDM servers with their device counts, and which DEP server of depgate is
 * which MDM server of the org.
 */
import type { OrgView } from '../../api/orgs.js'
import type { OrgMdmServer } from '../../store/index.js'
import { count, duration, instant } from '../format.js'
import { html, type Html, type Part } from '../html.js'
import { page, type SessionFrame, UI_PREFIX } from '../layout.js'
import { errorSentence, since } from './overview.js'

/** A DEP server linked to an org: its name in depgate and the MDM server id it is in the org. */
export interface OrgLinkView { server: string, mdmServer: string }

export interface OrgPanel {
  org: OrgView
  /** GET /v1/orgs/{org}/mdm-servers; absent until the org mirror's first refresh. */
  mdmServers?: OrgMdmServer[]
  links: OrgLinkView[]
}

function accessToken (o: OrgView, now: number): Html {
  const { expires_at: expires, checked_at: checked } = o.token
  if (expires === null) return html`<span class="muted">none yet: depgate gets one at its first call to Apple</span>`
  const left = Date.parse(expires) - now
  // Apple's access tokens live an hour: an expired one is renewed at the next call, not an alarm.
  return html`${left > 0 ? html`<span class="badge ok">valid</span> for ${duration(left)}` : html`<span class="badge">expired</span> ${duration(left)} ago, renewed at the next call`}
    <span class="muted">(got ${instant(checked)})</span>`
}

function lastError (e: { code: string, message?: string, at: string } | null): Html {
  if (e === null) return html`<span class="muted">none</span>`
  return html`<span class="badge bad">${e.code}</span> <span class="wrap">${e.message ?? errorSentence(e.code)}</span> <span class="muted">(${instant(e.at)})</span>`
}

function mirror (o: OrgView, now: number): Html {
  const m = o.mirror
  return html`<dt>Org mirror</dt><dd>${m.ready
    ? html`<span class="badge ok">ready</span> <strong data-org-count="${o.name}">${count(m.device_count)}</strong> devices`
    : html`<span class="badge warn">first refresh running</span> depgate is reading every device of the org from Apple`}</dd>
    <dt>Last refresh</dt><dd>${since(m.last_refresh_at, now)}</dd>
    <dt>Last refresh error</dt><dd>${lastError(m.last_error)}</dd>`
}

const serverLink = (server: string): Html => html`<a href="${UI_PREFIX}/servers/${encodeURIComponent(server)}/devices">${server}</a>`

function links (p: OrgPanel): Part {
  if (p.links.length === 0) return html`<span class="muted">none: link one with <code>PATCH /v1/servers/{server}</code> and <code>{"org": "${p.org.name}"}</code></span>`
  const names = new Map((p.mdmServers ?? []).map((s) => [s.id.toUpperCase(), s.server_name]))
  return html`<ul class="plain">${p.links.map((l) => {
    const name = names.get(l.mdmServer.toUpperCase())
    return html`<li>${serverLink(l.server)} is the MDM server ${name == null ? html`<code>${l.mdmServer}</code>` : html`<strong>${name}</strong> <code class="muted">${l.mdmServer}</code>`}</li>`
  })}</ul>`
}

function mdmServers (p: OrgPanel): Html {
  const servers = p.mdmServers
  if (servers === undefined) return html`<p class="muted">Shown once the org mirror's first refresh has completed.</p>`
  if (servers.length === 0) return html`<p>The org has no MDM server.</p>`
  const linked = (id: string): OrgLinkView[] => p.links.filter((l) => l.mdmServer.toUpperCase() === id.toUpperCase())
  return html`<div class="table-wrap"><table>
<thead><tr><th scope="col">MDM server</th><th scope="col">Type</th><th scope="col">Id</th><th scope="col">Devices</th><th scope="col">depgate server</th></tr></thead>
<tbody>${servers.map((s) => html`<tr><td>${s.server_name ?? html`<span class="muted">no name</span>`}</td><td>${s.server_type ?? '—'}</td><td><code>${s.id}</code></td>
<td data-mdm-count="${s.id}">${count(s.device_count)}</td><td>${linked(s.id).map((l, i) => html`${i > 0 && ', '}${serverLink(l.server)}`)}</td></tr>`)}</tbody>
</table></div>`
}

function orgPanel (p: OrgPanel, now: number): Html {
  const o = p.org
  return html`<section class="panel" aria-labelledby="org-${o.name}">
  <h2 id="org-${o.name}">${o.name} <span class="muted">· ${o.scope}</span></h2>
  <dl class="facts">
    <dt>API account</dt><dd><code>${o.client_id}</code> <span class="muted">key ${o.key_id}</span></dd>
    <dt>Access token</dt><dd>${accessToken(o, now)}</dd>
    <dt>Last error with Apple</dt><dd>${lastError(o.last_error)}</dd>
    ${mirror(o, now)}
    <dt>Linked DEP servers</dt><dd>${links(p)}</dd>
  </dl>
  <h3>MDM servers</h3>
  ${mdmServers(p)}
</section>`
}

export function orgsPage (frame: SessionFrame, orgs: OrgPanel[], now: number): Html {
  return page({ ...frame, title: 'Orgs', current: 'orgs' }, html`<h1>Orgs</h1>
<p class="muted">Apple Business Manager and Apple School Manager API accounts: <code>GET /v1/orgs</code>; their devices are <code>GET /v1/orgs/{org}/devices</code>.</p>
${orgs.length === 0
    ? html`<p class="panel">No org is configured: add one with <code>PUT /v1/orgs/{org}</code> or <code>depgate org import</code> (see <a href="/docs">the API documentation</a>).</p>`
    : orgs.map((o) => orgPanel(o, now))}`)
}
