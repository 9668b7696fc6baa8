/** One device: every field Apple gave, what the mirror knows of it, and its entries in the change feed. */
import type { DeviceAssignment } from '../../api/device-assignment.js'
import type { MirrorChange } from '../../store/mirror-reads.js'
import { instant } from '../format.js'
import { html, type Html } from '../html.js'
import { page, type SessionFrame, UI_PREFIX } from '../layout.js'

export interface DeviceView {
  server: string
  serial: string
  record: Record<string, unknown>
  lastChangedAt: string
  removedAt: string | null
  history: MirrorChange[]
  assignment: DeviceAssignment
}

const DECISIONS = {
  assign: 'would assign it now (it has no profile, or an older version of this one, or the rule replaces others)',
  current: 'already has the profile\'s current version',
  other_profile: 'leaves it alone: it has another profile and the rule does not say replace'
} as const

function assignment (a: DeviceAssignment): Html {
  if (a.kind === 'no_rules') return html`<p>This server has no assignment rules.</p>`
  if (a.kind === 'no_match') return html`<p>None of the ${a.rules} assignment rules matches this device.</p>`
  const m = a
  return html`<p>Rule ${m.index + 1}, <strong>${m.name}</strong>, is the first to match; with the profile <strong>${m.profile}</strong> it ${DECISIONS[m.decision]}.</p>`
}

const value = (v: unknown): string => typeof v === 'string' ? v : JSON.stringify(v)

export function devicePage (frame: SessionFrame, d: DeviceView): Html {
  const devices = `${UI_PREFIX}/servers/${encodeURIComponent(d.server)}/devices`
  const fields = Object.keys(d.record).sort()
  return page({ ...frame, title: `Device ${d.serial}` }, html`<p><a href="${devices}">← Devices of ${d.server}</a></p>
<h1>Device <span id="serial">${d.serial}</span></h1>
${d.removedAt !== null && html`<p class="notice">Apple no longer shows this device to ${d.server} (removed ${instant(d.removedAt)}).</p>`}
<section class="panel" aria-labelledby="fields"><h2 id="fields">Fields</h2>
<dl class="facts">${fields.map((k) => html`<dt>${k}</dt><dd data-field="${k}">${value(d.record[k])}</dd>`)}
<dt>last changed in the mirror</dt><dd>${instant(d.lastChangedAt)}</dd></dl></section>
<section class="panel" aria-labelledby="assignment"><h2 id="assignment">Assignment</h2>
${assignment(d.assignment)}
<p class="muted">As the stored assignment rules decide from the mirror; nothing is sent to Apple.</p></section>
<section class="panel" aria-labelledby="history"><h2 id="history">Change history</h2>
<p class="muted">From the mirror's change feed, newest first; the feed keeps each device's latest change and removals for DEPGATE_FEED_RETENTION_DAYS.</p>
${d.history.length === 0
  ? html`<p>The feed holds no change of this device.</p>`
  : html`<div class="table-wrap"><table><thead><tr><th scope="col">Sequence</th><th scope="col">When</th><th scope="col">Change</th><th scope="col">Profile status after</th></tr></thead>
<tbody>${d.history.map((c) => html`<tr><td>${c.seq}</td><td>${instant(c.at)}</td><td>${c.op}</td><td>${value((JSON.parse(c.record) as Record<string, unknown>).profile_status ?? '—')}</td></tr>`)}</tbody></table></div>`}
</section>`)
}
