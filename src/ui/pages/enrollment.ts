/**
 * Named enrollment profiles, the assignment rules with what they would do now (the preview), and
 * the assignments the engine could not make (failed, throttled, given up).
 */
import type { Preview } from '../../api/assignment-preview.js'
import type { assignmentPageSchema } from '../../api/assignments.js'
import type { RulesAnswer } from '../../api/assignment-rules.js'
import type { enrollmentProfileListSchema } from '../../api/enrollment-profiles.js'
import type { z } from 'zod'
import { count, instant } from '../format.js'
import { html, type Html } from '../html.js'
import { page, type SessionFrame, UI_PREFIX } from '../layout.js'

export type AssignmentView = z.output<typeof assignmentPageSchema>['assignments'][number]

/** The states the enrollment page lists as failing, in its order. */
export const FAILING_STATUSES = ['failed', 'throttled', 'gave_up'] as const

export interface EnrollmentView {
  server: string
  profiles: z.output<typeof enrollmentProfileListSchema>['profiles']
  rules: RulesAnswer
  /** Undefined while the mirror cannot answer (off, or its first fetch): the reason instead. */
  preview: Preview | { unavailable: string }
  /** Whether the assignment engine runs here (DEPGATE_ASSIGN and the mirror on). */
  engine: boolean
  /** Failed, throttled and given-up assignments, a page of each; the states with more than that page. */
  failing: { assignments: AssignmentView[], more: Array<typeof FAILING_STATUSES[number]> }
}

/** "THROTTLED: Apple throttled this assignment; …", or — before Apple answered. */
export const lastResult = (a: AssignmentView): Html => html`${a.last_result ?? '—'}${a.last_error !== null && html`: ${a.last_error}`}`

const STATUS_BADGE = { failed: 'bad', throttled: 'warn', gave_up: 'bad' } as const

function failingTable (v: EnrollmentView): Html {
  const { assignments, more } = v.failing
  const api = `/v1/servers/${v.server}/assignments`
  const devices = `${UI_PREFIX}/servers/${encodeURIComponent(v.server)}/devices`
  return html`${!v.engine && html`<p class="notice">The assignment engine is off here (DEPGATE_ASSIGN=false, or the mirror is off): nothing is sent or retried.</p>`}
${assignments.length === 0
    ? html`<p>No assignment has failed, been throttled or been given up.</p>`
    : html`<div class="table-wrap"><table><thead><tr><th scope="col">Serial number</th><th scope="col">State</th><th scope="col">Profile</th><th scope="col">Rule</th>
<th scope="col">Attempts</th><th scope="col">Last result</th><th scope="col">Next attempt</th></tr></thead>
<tbody>${assignments.map((a) => html`<tr><td><a href="${devices}/${encodeURIComponent(a.serial)}">${a.serial}</a></td>
<td><span class="badge ${STATUS_BADGE[a.status as keyof typeof STATUS_BADGE]}">${a.status}</span></td><td>${a.profile}</td><td>${a.rule}</td><td>${a.attempts}</td>
<td class="wrap">${lastResult(a)}</td><td>${instant(a.next_attempt_at)}</td></tr>`)}</tbody></table></div>`}
${more.map((status) => html`<p class="muted">More ${status} ones than shown: <code>GET ${api}?status=${status}</code> lists them all.</p>`)}`
}

function rulesTable (v: EnrollmentView): Html {
  if (v.rules.rules.length === 0) return html`<p>No assignment rules (set them with <code>PUT /v1/servers/${v.server}/assignment-rules</code>).</p>`
  const preview = 'unavailable' in v.preview ? undefined : v.preview
  return html`${preview === undefined && html`<p class="notice">${(v.preview as { unavailable: string }).unavailable}</p>`}
<div class="table-wrap"><table>
  <thead><tr><th scope="col">#</th><th scope="col">Rule</th><th scope="col">Matches</th><th scope="col">Profile</th>
  <th scope="col">Matched</th><th scope="col">To assign</th><th scope="col">Already assigned</th><th scope="col">Left alone</th></tr></thead>
  <tbody>${v.rules.rules.map((r, i) => {
    const p = preview?.rules[i]
    return html`<tr><td>${i + 1}</td><td>${r.name}</td><td class="wrap"><code>${JSON.stringify(r.match)}</code></td><td>${r.profile}</td>
      <td>${p === undefined ? '—' : count(p.matched)}</td><td>${p === undefined ? '—' : count(p.to_assign)}</td>
      <td>${p === undefined ? '—' : count(p.already_assigned)}</td><td>${p === undefined ? '—' : count(p.left_alone)}</td></tr>`
  })}</tbody>
</table></div>
${preview !== undefined && html`<p>${count(preview.unmatched.count)} of ${count(preview.devices)} devices match no rule.</p>`}`
}

export function enrollmentPage (frame: SessionFrame, v: EnrollmentView): Html {
  return page({ ...frame, title: `Enrollment of ${v.server}` }, html`<h1>Enrollment <span class="muted">· ${v.server}</span></h1>
<section aria-labelledby="profiles"><h2 id="profiles">Named profiles</h2>
${v.profiles.length === 0
  ? html`<p>No named enrollment profiles (create one with <code>PUT /v1/servers/${v.server}/enrollment-profiles/{name}</code>).</p>`
  : html`<div class="table-wrap"><table><thead><tr><th scope="col">Name</th><th scope="col">Profile UUID</th><th scope="col">Defined</th><th scope="col">Devices</th></tr></thead>
<tbody>${v.profiles.map((p) => html`<tr><td>${p.name}</td><td><code>${p.profile_uuid}</code></td><td>${instant(p.defined_at)}</td><td>${p.device_count === null ? '—' : count(p.device_count)}</td></tr>`)}</tbody></table></div>`}
</section>
<section aria-labelledby="rules"><h2 id="rules">Assignment rules</h2>
<p class="muted">Revision ${v.rules.etag}, last changed ${instant(v.rules.updated_at)}. The counts are a preview from the mirror: nothing is sent to Apple.</p>
${rulesTable(v)}
</section>
<section aria-labelledby="failing"><h2 id="failing">Failing assignments</h2>
<p class="muted">Devices the rules queued that Apple has not taken yet: failed and throttled ones are sent again at their next attempt; given-up ones wait for <code>POST /v1/servers/${v.server}/assignments/retry</code>.</p>
${failingTable(v)}
</section>`)
}
