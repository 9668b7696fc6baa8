/** The overview: each DEP server's token, terms, sync and mirror, its fleet charts and latest changes. */
import type { DepServerInfo } from '../../api/server-info.js'
import type { MirrorStatus } from '../../api/mirror-status.js'
import { isProblemCode, PROBLEM_CODES } from '../../problem-codes.js'
import type { MirrorChange, Summary } from '../../store/mirror-reads.js'
import { barChart } from '../charts.js'
import { count, duration, instant } from '../format.js'
import { html, type Html, type Part } from '../html.js'
import { orgHref, page, type SessionFrame, UI_PREFIX } from '../layout.js'

export interface ServerOverview {
  server: DepServerInfo & { inventory: MirrorStatus }
  /** Absent until the mirror's first full fetch, or with the mirror off. */
  summary?: Summary
  changes: MirrorChange[]
}

/** The sentence for a code a server last failed with: the catalog's, or Apple's code as given. */
export function errorSentence (code: string): string {
  return isProblemCode(code) ? PROBLEM_CODES[code].summary : `Apple answered ${code}.`
}

const serverHref = (name: string): string => `${UI_PREFIX}/servers/${encodeURIComponent(name)}`

function token (s: DepServerInfo, now: number): Html {
  if (s.token_expires_at === null) return html`<span class="muted">no expiry given</span>`
  const left = Date.parse(s.token_expires_at) - now
  const badge = s.token_expired ? 'bad' : left < 30 * 86_400_000 ? 'warn' : 'ok'
  return html`<span class="badge ${badge}">${s.token_expired ? 'expired' : 'valid'}</span>
    <span data-until="${s.token_expires_at}">${left > 0 ? `in ${duration(left)}` : `${duration(left)} ago`}</span>
    <span class="muted">(${instant(s.token_expires_at)})</span>`
}

/** "2026-12-07 09:50 UTC · 10 min ago" (the age ticks in the browser), or "never". */
export function since (iso: string | null, now: number): Part {
  if (iso === null) return html`<span class="muted">never</span>`
  return html`${instant(iso)} · <span data-since="${iso}">${duration(now - Date.parse(iso))} ago</span>`
}

function serverPanel ({ server: s, summary, changes }: ServerOverview, now: number): Html {
  const m = s.inventory
  const lastError = s.last_error ?? (m.last_error === null ? null : { code: m.last_error.code, at: m.last_error.at })
  return html`<section class="panel" aria-labelledby="server-${s.name}">
  <h2 id="server-${s.name}">${s.name}${s.account?.org_name != null && html` <span class="muted">· ${s.account.org_name}</span>`}</h2>
  <dl class="facts">
    <dt>Token expires</dt><dd>${token(s, now)}</dd>
    <dt>Terms and conditions</dt><dd>${s.terms_not_signed
      ? html`<span class="badge bad">not accepted</span> new terms wait in Apple Business Manager since ${instant(s.terms_not_signed_since)}`
      : html`<span class="badge ok">accepted</span>`}</dd>
    <dt>Last successful sync</dt><dd>${m.enabled ? since(m.last_success_at, now) : html`<span class="muted">the mirror is off (DEPGATE_MIRROR=false)</span>`}</dd>
    <dt>Last error</dt><dd>${lastError === null
      ? html`<span class="muted">none</span>`
      : html`<span class="badge bad">${lastError.code}</span> ${m.last_error?.code === lastError.code ? m.last_error.message : errorSentence(lastError.code)} <span class="muted">(${instant(lastError.at)})</span>`}</dd>
    ${s.org !== null && html`<dt>Org</dt><dd><a href="${orgHref(s.org)}">${s.org}</a> <span class="muted">(Apple Business Manager API)</span></dd>`}
    <dt>Devices in the mirror</dt><dd>${summary === undefined
      ? html`<span class="muted">${m.enabled ? 'first fetch running' : 'no mirror'}</span>`
      : html`<strong id="total-${s.name}">${count(summary.total)}</strong>${summary.removed > 0 && html` <span class="muted">(and ${count(summary.removed)} removed)</span>`}`}</dd>
  </dl>
  <p><a href="${serverHref(s.name)}/devices">Devices</a> · <a href="${serverHref(s.name)}/enrollment">Enrollment profiles and rules</a></p>
  ${summary !== undefined && html`<div class="grid">
    ${barChart(`family-${s.name}`, 'By device family', summary.by_device_family)}
    ${barChart(`os-${s.name}`, 'By OS', summary.by_os)}
    ${barChart(`model-${s.name}`, 'By model', summary.by_model)}
    ${barChart(`profile-${s.name}`, 'By profile status', summary.by_profile_status)}
  </div>`}
  ${changes.length > 0 && html`<h3>Latest changes</h3>
  <div class="table-wrap"><table>
    <thead><tr><th scope="col">When</th><th scope="col">Change</th><th scope="col">Serial number</th></tr></thead>
    <tbody>${changes.map((c) => html`<tr><td>${instant(c.at)}</td><td>${c.op}</td>
      <td><a href="${serverHref(s.name)}/devices/${encodeURIComponent(c.serial_number)}">${c.serial_number}</a></td></tr>`)}</tbody>
  </table></div>`}
</section>`
}

export function overviewPage (frame: SessionFrame, servers: ServerOverview[], now: number): Html {
  return page({ ...frame, title: 'Overview', current: 'overview', live: true }, html`<h1>Overview</h1>
${servers.length === 0
    ? html`<p class="panel">No DEP server is configured yet: add one with <code>PUT /v1/servers/{name}</code> (see <a href="/docs">the API documentation</a>).</p>`
    : servers.map((s) => serverPanel(s, now))}`)
}
