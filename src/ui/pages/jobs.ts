/** Jobs (long work such as a large profile assignment) with their progress, newest first; the page refreshes itself. */
import type { z } from 'zod'
import type { jobPageSchema } from '../../api/jobs.js'
import { count, instant } from '../format.js'
import { html, type Html } from '../html.js'
import { page, type SessionFrame } from '../layout.js'

type Job = z.output<typeof jobPageSchema>['jobs'][number]

const STATE_BADGE: Record<string, string> = { failed: 'bad', cancelled: 'warn', succeeded: 'ok' }

function progress (j: Job): Html {
  const { done, total } = j.progress
  // A native <progress>: no style attribute for the CSP to refuse, and read out by screen readers.
  return total === null
    ? html`<progress aria-label="Progress of job ${j.id}"></progress> ${count(done)} done`
    : html`<progress aria-label="Progress of job ${j.id}" max="${Math.max(total, 1)}" value="${Math.min(done, total)}"></progress> ${count(done)} of ${count(total)}`
}

export function jobsPage (frame: SessionFrame, jobs: Job[], nextHref: string | undefined): Html {
  return page({ ...frame, title: 'Jobs', current: 'jobs', live: true }, html`<h1>Jobs</h1>
<p class="muted">Newest first; this page refreshes itself. Each job's per-serial results are at <code>GET /v1/jobs/{id}/results</code>.</p>
${jobs.length === 0
  ? html`<p class="panel">No jobs yet: a large or asynchronous profile assignment runs as one.</p>`
  : html`<div class="table-wrap"><table><thead><tr><th scope="col">Started</th><th scope="col">Kind</th><th scope="col">Server</th><th scope="col">State</th><th scope="col">Progress</th><th scope="col">Finished</th><th scope="col">Outcome</th></tr></thead>
<tbody>${jobs.map((j) => html`<tr><td>${instant(j.created_at)}</td><td>${j.kind}</td><td>${j.server ?? ''}</td>
<td><span class="badge ${STATE_BADGE[j.state] ?? ''}">${j.state}</span>${j.cancel_requested && j.finished_at === null ? ' (cancelling)' : ''}</td>
<td>${progress(j)}</td><td>${instant(j.finished_at)}</td>
<td class="wrap">${j.error === null ? (j.summary === null ? '' : JSON.stringify(j.summary)) : html`<span class="badge bad">${j.error.code}</span> ${j.error.message}`}</td></tr>`)}</tbody></table></div>`}
${nextHref !== undefined && html`<p class="pager"><a rel="next" href="${nextHref}">Older jobs</a></p>`}`)
}
