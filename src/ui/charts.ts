/**
 * Fleet charts as server-rendered SVG: no script, no library, readable with JavaScript off and
 * by a screen reader (each chart is also a list of its numbers).
 */
import { count } from './format.js'
import { html, type Html } from './html.js'

/** Bars shown at most; the rest are added up as "other". */
export const MAX_BARS = 8
const ROW = 26
const LABEL_W = 150
const BAR_W = 230
const WIDTH = LABEL_W + BAR_W + 70

export function barChart (id: string, title: string, counts: Readonly<Record<string, number>>): Html {
  const sorted = Object.entries(counts).sort((a, b) => b[1] - a[1] || a[0].localeCompare(b[0]))
  const rows = sorted.length > MAX_BARS
    ? [...sorted.slice(0, MAX_BARS - 1), ['other', sorted.slice(MAX_BARS - 1).reduce((n, [, c]) => n + c, 0)] as [string, number]]
    : sorted
  const max = Math.max(1, ...rows.map(([, n]) => n))
  const height = Math.max(1, rows.length) * ROW
  return html`<figure class="panel">
  <figcaption><h3 id="${id}">${title}</h3></figcaption>
  ${rows.length === 0
    ? html`<p class="muted">No devices.</p>`
    : html`<svg class="chart" viewBox="0 0 ${WIDTH} ${height}" role="img" aria-labelledby="${id}" aria-describedby="${id}-list">
    ${rows.map(([label, n], i) => html`<g transform="translate(0 ${i * ROW})">
      <text x="0" y="17">${label.length > 22 ? label.slice(0, 21) + '…' : label}</text>
      <rect class="bar" x="${LABEL_W}" y="4" height="16" rx="3" width="${Math.max(1, Math.round(BAR_W * n / max))}"></rect>
      <text class="value" x="${LABEL_W + Math.max(1, Math.round(BAR_W * n / max)) + 6}" y="17">${count(n)}</text>
    </g>`)}
  </svg>
  <ul class="sr-only" id="${id}-list">${rows.map(([label, n]) => html`<li>${label}: ${count(n)}</li>`)}</ul>`}
</figure>`
}
