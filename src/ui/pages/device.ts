/** One device: every field Apple gave, what the mirror knows of it, and its entries in the change feed. */
import type { DeviceAssignment } from '../../api/device-assignment.js'
import type { MirrorChange } from '../../store/mirror-reads.js'
import { instant } from '../format.js'
import { html, type Html } from '../html.js'
import { page, type SessionFrame, UI_PREFIX } from '../layout.js'
import { type DeviceOrgPanel, deviceOrgSection } from './device-org.js'
import { type AssignmentView, lastResult } from './enrollment.js'

export interface DeviceView {
  server: string
  serial: string
  record: Record<string, unknown>
  lastChangedAt: string
  removedAt: string | null
  history: MirrorChange[]
  assignment: DeviceAssignment
  /** The assignment engine's row for the device (GET …/assignments?serial=), if it queued it. */
  engine: AssignmentView | undefined
  /** Only on a server linked to an org. */
  org?: DeviceOrgPanel
}

const ENGINE_BADGE: Record<AssignmentView['status'], string> = {
  pending: '', succeeded: 'ok', failed: 'bad', throttled: 'warn', gave_up: 'bad', not_accessible: 'bad'
}

function engineState (a: AssignmentView | undefined): Html {
  if (a === undefined) return html`<p>The assignment engine has not queued this device.</p>`
  return html`<dl class="facts" id="engine">
<dt>State</dt><dd><span class="badge ${ENGINE_BADGE[a.status]}">${a.status}</span> <span class="muted">since ${instant(a.updated_at)}</span></dd>
<dt>Profile</dt><dd>${a.profile} <span class="muted">(rule ${a.rule}, <code>${a.profile_uuid}</code>)</span></dd>
<dt>Attempts</dt><dd>${a.attempts}</dd>
<dt>Last result</dt><dd class="wrap">${lastResult(a)}</dd>
<dt>Next attempt</dt><dd>${a.next_attempt_at === null ? html`<span class="muted">none</span>` : instant(a.next_attempt_at)}</dd>
</dl>`
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
${d.org !== undefined && deviceOrgSection(d.serial, d.org)}
<section class="panel" aria-labelledby="assignment"><h2 id="assignment">Assignment</h2>
<h3>What the rules would do</h3>
${assignment(d.assignment)}
<p class="muted">As the stored assignment rules decide from the mirror; nothing is sent to Apple.</p>
<h3>What the engine did</h3>
${engineState(d.engine)}</section>
<section class="panel" aria-labelledby="history"><h2 id="history">Change history</h2>
<p class="muted">From the mirror's change feed, newest first; the feed keeps each device's latest change and removals for DEPGATE_FEED_RETENTION_DAYS.</p>
${d.history.length === 0
  ? html`<p>The feed holds no change of this device.</p>`
  : html`<div class="table-wrap"><table><thead><tr><th scope="col">Sequence</th><th scope="col">When</th><th scope="col">Change</th><th scope="col">Profile status after</th></tr></thead>
<tbody>${d.history.map((c) => html`<tr><td>${c.seq}</td><td>${instant(c.at)}</td><td>${c.op}</td><td>${value((JSON.parse(c.record) as Record<string, unknown>).profile_status ?? '—')}</td></tr>`)}</tbody></table></div>`}
</section>`)
}
