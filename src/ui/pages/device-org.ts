/** A device of a server linked to its org: the org mirror's view of it (the `org` block of GET …/devices/{serial}), or why there is none. */
import type { DeviceOrgView } from '../../api/device-org.js'
import { instant } from '../format.js'
import { html, type Html } from '../html.js'
import { orgHref } from '../layout.js'

/** Why the org mirror has nothing on the device: the org was deleted, its first refresh has not completed, or the device was not in the org at the last refresh. */
export type NoOrgView = { why: 'gone' } | { why: 'not_ready' } | { why: 'absent', refreshedAt: string }

export interface DeviceOrgPanel {
  org: string
  view: DeviceOrgView | NoOrgView
}

function why (org: string, serial: string, v: NoOrgView): Html {
  if (v.why === 'gone') return html`<p>The server is linked to org ${org}, which is no longer configured in depgate: add it again with <code>PUT /v1/orgs/${org}</code>, or unlink the server with <code>PATCH</code> and <code>{"org": null}</code>.</p>`
  if (v.why === 'not_ready') return html`<p>The org mirror of ${org} has not completed its first refresh yet: depgate is still reading every device of the org from Apple.</p>`
  return html`<p>Org ${org} had no device with serial number ${serial} at its last refresh (${instant(v.refreshedAt)}): it was released from the org, added since, or belongs to another organisation.</p>`
}

function facts (o: DeviceOrgView): Html {
  const m = o.mdm_server
  return html`<dl class="facts" id="device-org">
<dt>Status</dt><dd>${o.status ?? '—'}</dd>
<dt>Order number</dt><dd>${o.order_number ?? '—'}</dd>
<dt>Order date</dt><dd>${instant(o.order_date)}</dd>
<dt>Purchase source</dt><dd>${o.purchase_source ?? '—'}${o.purchase_source_id !== null && html` <span class="muted">(${o.purchase_source_id})</span>`}</dd>
<dt>Added to the org</dt><dd>${instant(o.added_to_org_at)}</dd>
<dt>MDM server</dt><dd>${m === null
  ? html`<span class="muted">none: the device is not assigned to an MDM server</span>`
  : html`${m.name ?? html`<code>${m.id}</code>`} ${m.is_this_server ? html`<span class="badge ok">this DEP server</span>` : html`<span class="badge warn">another MDM server</span>`}`}</dd>
<dt>AppleCare ends</dt><dd>${o.applecare_end === null ? html`<span class="muted">unknown: no coverage, or no live lookup yet (<code>?source=apple</code> on the org's device)</span>` : instant(o.applecare_end)}</dd>
<dt>Org mirror refreshed</dt><dd>${instant(o.refreshed_at)}</dd>
</dl>`
}

export function deviceOrgSection (serial: string, p: DeviceOrgPanel): Html {
  return html`<section class="panel" aria-labelledby="org"><h2 id="org">In org <a href="${orgHref(p.org)}">${p.org}</a></h2>
${'why' in p.view ? why(p.org, serial, p.view) : facts(p.view)}
<p class="muted">From depgate's org mirror (Apple Business Manager API), as of its last refresh; nothing is asked of Apple.</p>
</section>`
}
