/**
 * The device table: every filter `GET …/devices` has, as a GET form (a filtered view is a link),
 * sortable columns, keyset pages with the total, and a CSV of exactly the rows shown.
 */
import { DEVICE_FAMILIES, OS_VALUES, PROFILE_STATUSES } from '../../api/devices.js'
import { count, instant } from '../format.js'
import { html, type Html, type Part } from '../html.js'
import { page, type SessionFrame, UI_PREFIX } from '../layout.js'

/** Text filters of the API, in the form's order, with their labels. */
export const TEXT_FILTERS: ReadonlyArray<readonly [string, string]> = [
  ['serial_prefix', 'Serial number starts with'],
  ['serial', 'Serial numbers (exact, comma-separated)'],
  ['model', 'Model'],
  ['description', 'Description contains'],
  ['profile_uuid', 'Profile UUID'],
  ['asset_tag', 'Asset tag'],
  ['color', 'Color'],
  ['device_assigned_by', 'Assigned by'],
  ['assigned_after', 'Assigned on or after (date)'],
  ['assigned_before', 'Assigned before (date)']
]
export const CHOICE_FILTERS: ReadonlyArray<readonly [string, string, readonly string[]]> = [
  ['os', 'OS', OS_VALUES],
  ['device_family', 'Device family', DEVICE_FAMILIES],
  ['profile_status', 'Profile status', PROFILE_STATUSES],
  ['removed', 'Removed devices', ['exclude', 'include', 'only']]
]
export const PAGE_SIZES = [25, 50, 100, 250, 1000] as const
export const DEFAULT_PAGE_SIZE = 50

/** Sortable columns: API sort key, heading. */
const COLUMNS: ReadonlyArray<readonly [string, string, boolean]> = [
  ['serial_number', 'Serial number', true],
  ['model', 'Model', true],
  ['description', 'Description', false],
  ['os', 'OS', true],
  ['device_family', 'Family', true],
  ['profile_status', 'Profile status', true],
  ['device_assigned_date', 'Assigned', true]
]

export interface DevicesView {
  server: string
  /** The query as the browser sent it (text), to fill the form and build links. */
  params: URLSearchParams
  sort: string
  order: 'asc' | 'desc'
  devices: Array<Record<string, unknown>>
  total: number
  /** 1-based position of the first row shown. */
  from: number
  nextToken: string | null
}

/** `params` with `changes` applied (undefined deletes), as a query string. */
export function withParams (params: URLSearchParams, changes: Record<string, string | undefined>): string {
  const next = new URLSearchParams(params)
  for (const [k, v] of Object.entries(changes)) {
    if (v === undefined) next.delete(k)
    else next.set(k, v)
  }
  const text = next.toString()
  return text === '' ? '' : `?${text}`
}

function sortHeader (v: DevicesView, [key, label, sortable]: readonly [string, string, boolean]): Html {
  if (!sortable) return html`<th scope="col">${label}</th>`
  const active = v.sort === key
  const order = active && v.order === 'asc' ? 'desc' : 'asc'
  const href = withParams(v.params, { sort: key, order, page_token: undefined, from: undefined })
  return html`<th scope="col"${active ? html` aria-sort="${v.order === 'asc' ? 'ascending' : 'descending'}"` : ''}><a href="${href}">${label}${active ? (v.order === 'asc' ? ' ▲' : ' ▼') : ''}</a></th>`
}

const text = (value: unknown): string => typeof value === 'string' ? value : value === undefined || value === null ? '' : JSON.stringify(value)

function row (v: DevicesView, d: Record<string, unknown>): Html {
  const serial = text(d.serial_number)
  return html`<tr><td><a href="${UI_PREFIX}/servers/${encodeURIComponent(v.server)}/devices/${encodeURIComponent(serial)}">${serial}</a></td>
<td>${text(d.model)}</td><td class="wrap">${text(d.description)}</td><td>${text(d.os)}</td><td>${text(d.device_family)}</td>
<td>${text(d.profile_status)}</td><td>${typeof d.device_assigned_date === 'string' ? instant(d.device_assigned_date) : ''}</td></tr>`
}

function filters (v: DevicesView): Html {
  const value = (name: string): string => v.params.get(name) ?? ''
  const select = (name: string, label: string, choices: readonly string[]): Html => html`<div class="field"><label for="f-${name}">${label}</label>
    <select id="f-${name}" name="${name}"><option value="">${name === 'removed' ? 'left out' : 'any'}</option>
      ${choices.filter((c) => !(name === 'removed' && c === 'exclude')).map((c) => html`<option${value(name) === c ? html` selected` : ''}>${c}</option>`)}
    </select></div>`
  return html`<form class="filters panel" method="get" role="search" aria-label="Filter devices">
  ${TEXT_FILTERS.map(([name, label]) => html`<div class="field"><label for="f-${name}">${label}</label><input id="f-${name}" name="${name}" value="${value(name)}"${name.startsWith('assigned_') ? html` placeholder="2026-01-15"` : ''}></div>`)}
  ${CHOICE_FILTERS.map(([name, label, choices]) => select(name, label, choices))}
  <div class="field"><label for="f-limit">Rows per page</label><select id="f-limit" name="limit">${PAGE_SIZES.map((n) => html`<option${String(n) === (value('limit') || String(DEFAULT_PAGE_SIZE)) ? html` selected` : ''}>${n}</option>`)}</select></div>
  <input type="hidden" name="sort" value="${v.sort}"><input type="hidden" name="order" value="${v.order}">
  <div><button type="submit">Apply</button> <a href="?">Clear</a></div>
</form>`
}

function pager (v: DevicesView): Part {
  const last = v.from + v.devices.length - 1
  const base = `${UI_PREFIX}/servers/${encodeURIComponent(v.server)}/devices`
  return html`<div class="pager">
  <p id="range" aria-live="polite">${v.devices.length === 0 ? 'No device matches.' : html`Devices <strong>${count(v.from)}–${count(last)}</strong> of <strong id="total">${count(v.total)}</strong>`}</p>
  ${v.from > 1 && html`<a href="${withParams(v.params, { page_token: undefined, from: undefined }) || '?'}">First page</a>`}
  ${v.nextToken !== null && html`<a rel="next" href="${withParams(v.params, { page_token: v.nextToken, from: String(last + 1) })}">Next page</a>`}
  <a href="${base}.csv${withParams(v.params, {})}" download>Download these rows as CSV</a>
</div>`
}

export function devicesPage (frame: SessionFrame, v: DevicesView): Html {
  return page({ ...frame, title: `Devices of ${v.server}` }, html`<h1>Devices <span class="muted">· ${v.server}</span></h1>
${filters(v)}
${pager(v)}
<div class="table-wrap"><table>
  <caption class="sr-only">Devices of ${v.server}, sorted by ${v.sort} ${v.order === 'asc' ? 'ascending' : 'descending'}</caption>
  <thead><tr>${COLUMNS.map((c) => sortHeader(v, c))}</tr></thead>
  <tbody>${v.devices.map((d) => row(v, d))}</tbody>
</table></div>`)
}
