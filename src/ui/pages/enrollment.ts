/** Named enrollment profiles and the assignment rules with what they would do now (the preview). */
import type { Preview } from '../../api/assignment-preview.js'
import type { RulesAnswer } from '../../api/assignment-rules.js'
import type { enrollmentProfileListSchema } from '../../api/enrollment-profiles.js'
import type { z } from 'zod'
import { count, instant } from '../format.js'
import { html, type Html } from '../html.js'
import { page, type SessionFrame } from '../layout.js'

export interface EnrollmentView {
  server: string
  profiles: z.output<typeof enrollmentProfileListSchema>['profiles']
  rules: RulesAnswer
  /** Undefined while the mirror cannot answer (off, or its first fetch): the reason instead. */
  preview: Preview | { unavailable: string }
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
</section>`)
}
