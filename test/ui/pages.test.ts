/**
 * The page functions on their own, with the states a live app rarely shows at once: tokens
 * expiring or without expiry, terms not accepted, sync errors, removed devices, empty lists,
 * revoked keys; and that every value is escaped.
 */
import { gzipSync } from 'node:zlib'
import t from 'tap'
import { ASSETS } from '../../src/ui/assets.js'
import { barChart, MAX_BARS } from '../../src/ui/charts.js'
import { duration, instant } from '../../src/ui/format.js'
import { html } from '../../src/ui/html.js'
import type { Viewer } from '../../src/ui/layout.js'
import { auditLogPage, keysPage } from '../../src/ui/pages/admin.js'
import { devicePage } from '../../src/ui/pages/device.js'
import { devicesPage, withParams } from '../../src/ui/pages/devices.js'
import { enrollmentPage } from '../../src/ui/pages/enrollment.js'
import { jobsPage } from '../../src/ui/pages/jobs.js'
import { errorSentence, overviewPage, type ServerOverview } from '../../src/ui/pages/overview.js'

const NOW = Date.parse('2026-12-07T10:00:00Z')
const viewer: Viewer = { keyId: 'abc', label: 'ops', scope: 'admin', expiresAt: '2026-12-07T18:00:00Z' }
const frame = { viewer, csrf: 'tok' }

const inventory = {
  enabled: true,
  ready: true,
  phase: 'sync' as const,
  device_count: 3,
  last_seq: 3,
  ready_at: null,
  last_success_at: '2026-12-07T09:59:00Z',
  last_attempt_at: null,
  last_error: null,
  cursor_age_seconds: null,
  lag_seconds: null,
  leader: true,
  syncing: false,
  sync_requested_at: null
}
const server = {
  name: 'paris',
  base_url: 'https://x',
  token_fingerprint: 'sha256:1',
  token_expires_at: '2026-12-20T10:00:00Z',
  token_days_left: 13,
  token_expired: false,
  account: null,
  terms_not_signed: false,
  terms_not_signed_since: null,
  last_error: null,
  org: null,
  org_mdm_server: null,
  created_at: '2026-01-01T00:00:00Z',
  updated_at: '2026-01-01T00:00:00Z',
  inventory
}
const summary = { total: 3, removed: 1, by_device_family: { Mac: 3 }, by_model: {}, by_os: { OSX: 3 }, by_profile_status: { empty: 3 } }

t.test('overview: token, terms, sync and errors in words', async (t) => {
  t.equal(errorSentence('INVENTORY_NOT_READY').length > 10, true, 'a catalog code has the catalog\'s sentence')
  t.equal(errorSentence('SOMETHING_NEW'), 'Apple answered SOMETHING_NEW.')
  const servers: ServerOverview[] = [
    { server, summary, changes: [] },
    {
      server: { ...server, name: 'lyon', token_expires_at: '2026-12-01T10:00:00Z', token_days_left: -6, token_expired: true, account: { server_uuid: null, server_name: null, org_name: 'Lycée <Lumière>', checked_at: '2026-01-01T00:00:00Z' }, terms_not_signed: true, terms_not_signed_since: '2026-12-01T00:00:00Z', last_error: { code: 'T_C_NOT_SIGNED', at: '2026-12-06T00:00:00Z' }, inventory: { ...inventory, ready: false, last_success_at: null, last_error: { code: 'T_C_NOT_SIGNED', message: 'New terms wait.', status: 403, at: '2026-12-06T00:00:00Z' } } },
      changes: []
    },
    { server: { ...server, name: 'nice', token_expires_at: null, token_days_left: null, token_expired: false, last_error: { code: 'GATEWAY_TIMEOUT', at: '2026-12-06T00:00:00Z' }, inventory: { ...inventory, enabled: false, ready: false } }, changes: [] },
    { server: { ...server, name: 'lille', token_expires_at: '2028-01-01T00:00:00Z', inventory: { ...inventory, last_error: { code: 'X', message: 'Sync failed.', status: 502, at: '2026-12-06T00:00:00Z' } } }, summary: { ...summary, removed: 0 }, changes: [] }
  ]
  const page = overviewPage(frame, servers, NOW).text
  t.match(page, /badge warn/, 'a token with less than 30 days left')
  t.match(page, /badge bad">expired/)
  t.match(page, /ago<\/span>/, 'an expired token counts the time since')
  t.match(page, /no expiry given/)
  t.match(page, /Lycée &lt;Lumière&gt;/, 'values are escaped')
  t.match(page, /not accepted/)
  t.match(page, /New terms wait\./, 'the sync\'s own sentence for its error')
  t.match(page, /Sync failed\./, 'a sync error alone')
  t.match(page, /never/)
  t.match(page, /the mirror is off/)
  t.match(page, /first fetch running/)
  t.match(page, /no mirror/)
  t.match(page, /and 1 removed/)
  t.match(page, /href="\/ui\/keys"/, 'an admin sees the admin pages')
})

t.test('devices: filters kept, sort links, paging, an empty page', async (t) => {
  const params = new URLSearchParams('os=iOS&removed=only&limit=25&model=x&sort=os&order=desc')
  const empty = devicesPage(frame, { server: 'paris', params, sort: 'os', order: 'desc', devices: [], total: 0, from: 1, nextToken: null }).text
  t.match(empty, /No device matches\./)
  t.match(empty, /<option selected>iOS<\/option>/)
  t.match(empty, /<option selected>only<\/option>/)
  t.match(empty, /<option selected>25<\/option>/)
  t.match(empty, /value="x"/)
  t.match(empty, /aria-sort="descending"><a href="\?[^"]*order=asc/, 'the active column sorts the other way next')
  t.notMatch(empty, /Next page|First page/)
  const rows = devicesPage(frame, {
    server: 'paris',
    params: new URLSearchParams(),
    sort: 'model',
    order: 'asc',
    total: 60,
    from: 51,
    nextToken: 'abc',
    devices: [{ serial_number: 'C1', description: { odd: true } }, { serial_number: 'C2', model: 'Mac', device_assigned_date: '2026-01-01T00:00:00Z' }]
  }).text
  t.match(rows, /aria-sort="ascending"/)
  t.match(rows, /Devices <strong>51–52<\/strong> of <strong id="total">60<\/strong>/)
  t.match(rows, /First page/)
  t.match(rows, /{&quot;odd&quot;:true}/)
  t.equal(withParams(new URLSearchParams(), {}), '')
  t.equal(withParams(new URLSearchParams('a=1&b=2'), { a: undefined, c: '3' }), '?b=2&c=3')
})

t.test('device: removed, without history, history without a status', async (t) => {
  const removed = devicePage(frame, { server: 'paris', serial: 'C1', record: { serial_number: 'C1', model: 'Mac' }, lastChangedAt: '2026-12-01T00:00:00Z', removedAt: '2026-12-02T00:00:00Z', history: [], assignment: { kind: 'no_rules' }, engine: undefined }).text
  t.match(removed, /no longer shows this device/)
  t.match(removed, /holds no change of this device/)
  t.match(removed, /no assignment rules/)
  const changed = devicePage(frame, {
    server: 'paris',
    serial: 'C1',
    record: {},
    lastChangedAt: '2026-12-01T00:00:00Z',
    removedAt: null,
    history: [{ seq: 4, op: 'removed', serial_number: 'C1', at: '2026-12-02T00:00:00Z', record: '{}' }],
    assignment: { kind: 'no_match', rules: 3 },
    engine: undefined
  }).text
  t.match(changed, /<td>removed<\/td><td>—<\/td>/)
  t.match(changed, /None of the 3 assignment rules matches this device/)
  for (const [decision, words] of [['assign', /would assign it now/], ['current', /already has/], ['other_profile', /leaves it alone/]] as const) {
    const page = devicePage(frame, { server: 'paris', serial: 'C1', record: {}, lastChangedAt: '2026-12-01T00:00:00Z', removedAt: null, history: [], assignment: { kind: 'match', index: 1, name: 'Macs', profile: 'macs', decision }, engine: undefined }).text
    t.match(page, /Rule 2, <strong>Macs<\/strong>/)
    t.match(page, words)
  }
})

t.test('enrollment: nothing yet, and rules without counts', async (t) => {
  const rules = { rules: [], etag: '"rules-0"', updated_at: null }
  const none = enrollmentPage(frame, { server: 'paris', profiles: [], rules, preview: { unavailable: 'off' }, engine: true, failing: { assignments: [], more: [] } }).text
  t.match(none, /No named enrollment profiles/)
  t.match(none, /No assignment rules/)
  const uncounted = enrollmentPage(frame, {
    server: 'paris',
    profiles: [{ name: 'macs', profile_uuid: 'U', content_hash: 'h', defined_at: '2026-12-01T00:00:00Z', device_count: null }],
    rules: { ...rules, rules: [{ name: 'r', match: { device_family: 'Mac' }, profile: 'macs' }] },
    preview: { unavailable: 'The mirror is off.' },
    engine: true,
    failing: { assignments: [], more: [] }
  }).text
  t.match(uncounted, /The mirror is off\./)
  t.match(uncounted, /<td>—<\/td><\/tr>/)
})

t.test('failing assignments and the engine\'s state of a device: links escaped, more than a page, the engine off', async (t) => {
  const row = { serial: 'C<1>&x', status: 'throttled' as const, rule: 'Macs <all>', profile: 'macs', profile_uuid: 'U1', attempts: 2, last_result: 'THROTTLED', last_error: 'Apple throttled <it>.', next_attempt_at: '2026-12-07T11:00:00Z', updated_at: '2026-12-07T10:00:00Z' }
  const gaveUp = { ...row, serial: 'C2', status: 'gave_up' as const, last_result: null, last_error: null, next_attempt_at: null }
  const rules = { rules: [], etag: '"rules-0"', updated_at: null }
  const page = enrollmentPage(frame, { server: 'pa ris', profiles: [], rules, preview: { unavailable: 'off' }, engine: false, failing: { assignments: [row, gaveUp], more: ['failed', 'gave_up'] } }).text
  t.match(page, '<a href="/ui/servers/pa%20ris/devices/C%3C1%3E%26x">C&lt;1&gt;&amp;x</a>', 'the serial links to its device, escaped in the URL and the text')
  t.match(page, '<span class="badge warn">throttled</span>')
  t.match(page, 'THROTTLED: Apple throttled &lt;it&gt;.')
  t.match(page, 'Macs &lt;all&gt;')
  t.match(page, /<td class="wrap">—<\/td><td>—<\/td><\/tr>/, 'given up: no last result, no next attempt')
  t.match(page, /More failed ones than shown: <code>GET \/v1\/servers\/pa ris\/assignments\?status=failed<\/code>/)
  t.match(page, /More gave_up ones/)
  t.match(page, /assignment engine is off/)
  t.notMatch(page, /<script>|<it>/)
  const device = (engine: typeof row | typeof gaveUp | undefined) => devicePage(frame, { server: 'paris', serial: 'C1', record: {}, lastChangedAt: '2026-12-01T00:00:00Z', removedAt: null, history: [], assignment: { kind: 'no_rules' }, engine }).text
  t.match(device(undefined), /The assignment engine has not queued this device/)
  const throttled = device(row)
  t.match(throttled, /<span class="badge warn">throttled<\/span>/)
  t.match(throttled, /<dt>Attempts<\/dt><dd>2<\/dd>/)
  t.match(throttled, /THROTTLED: Apple throttled &lt;it&gt;\./)
  t.match(throttled, /<dt>Next attempt<\/dt><dd>2026-12-07 11:00 UTC<\/dd>/)
  const stopped = device(gaveUp)
  t.match(stopped, /<span class="badge bad">gave_up<\/span>/)
  t.match(stopped, /<dt>Last result<\/dt><dd class="wrap">—<\/dd>/)
  t.match(stopped, /<dt>Next attempt<\/dt><dd><span class="muted">none<\/span>/)
})

t.test('keys and audit: revoked keys, entries without a key or server, older pages', async (t) => {
  const keys = keysPage(frame, [
    { id: 'k1', label: 'old', scope: 'read', created_at: '2026-01-01T00:00:00Z', last_used_at: null, revoked_at: '2026-02-01T00:00:00Z' },
    { id: 'k2', label: 'new', scope: 'admin', created_at: '2026-01-01T00:00:00Z', last_used_at: '2026-01-02T00:00:00Z', revoked_at: null }
  ]).text
  t.match(keys, /badge bad/)
  const entry = { id: '1', at: '2026-01-01T00:00:00Z', key_id: null, action: 'key.create', server: null, target: '/v1/keys', result: 'ok', detail: null, serial_count: null, serials: null, serials_sha256: null, serials_ref: null, finished_at: null }
  const audit = auditLogPage(frame, { entries: [entry], next_page_token: 'n' }, '?page_token=n').text
  t.match(audit, /Older entries/)
  t.notMatch(auditLogPage(frame, { entries: [], next_page_token: null }, undefined).text, /Older entries/)
})

t.test('charts: empty, many bars, long labels', async (t) => {
  t.match(barChart('c', 'Empty', {}).text, /No devices\./)
  const many = Object.fromEntries(Array.from({ length: MAX_BARS + 3 }, (_, i) => [`model number ${i} with a long name`, i + 1]))
  const chart = barChart('m', 'Models', many).text
  t.match(chart, /<li>other: 10<\/li>/, 'the smallest are added up as other')
  t.match(chart, /…<\/text>/, 'long labels are cut in the chart (the list keeps them whole)')
})

t.test('formats and escaping', async (t) => {
  t.equal(duration(0), '0 s')
  t.equal(duration(90_061_000), '1 d 1 h')
  t.equal(duration(-61_000), '1 min 1 s')
  t.equal(instant(null), '—')
  t.equal(html`<p>${'<b>'}${['&', html`<i>`]}${null}${false}${7}</p>`.text, '<p>&lt;b&gt;&amp;<i>7</p>')
  t.equal(String(html`x`), 'x')
})

t.test('the script every page loads is far under 100 KB gzipped', async (t) => {
  const page = keysPage(frame, []).text
  t.same([...page.matchAll(/<script src="([^"]+)"/g)].map((m) => m[1]), ['/ui/assets/app.js'], 'one script, no inline one')
  const gzipped = gzipSync(ASSETS['app.js'].body).length
  t.ok(gzipped < 100 * 1024, `app.js: ${gzipped} bytes gzipped`)
})

t.test('jobs: progress bars, states, outcomes', async (t) => {
  const base = { id: 'j', kind: 'assign_profile', server: 'paris', org: null, created_at: '2026-12-07T09:00:00Z', started_at: null, finished_at: null, summary: null, error: null, cancel_requested: false }
  const page = jobsPage(frame, [
    { ...base, id: 'a', state: 'running', progress: { done: 1000, total: 2500 } },
    { ...base, id: 'b', server: null, state: 'queued', progress: { done: 0, total: null } },
    { ...base, id: 'c', state: 'failed', progress: { done: 5, total: 10 }, finished_at: '2026-12-07T09:10:00Z', error: { code: 'JOB_FAILED', message: 'Apple refused.' } },
    { ...base, id: 'd', state: 'succeeded', progress: { done: 10, total: 10 }, finished_at: '2026-12-07T09:10:00Z', summary: { SUCCESS: 10 } },
    { ...base, id: 'e', state: 'running', progress: { done: 1, total: 10 }, cancel_requested: true }
  ], '?page_token=x').text
  t.match(page, /<progress aria-label="Progress of job a" max="2500" value="1000"><\/progress> 1,000 of 2,500/)
  t.match(page, /<progress aria-label="Progress of job b"><\/progress> 0 done/, 'no total yet: an indeterminate bar')
  t.match(page, /Apple refused\./)
  t.match(page, /{&quot;SUCCESS&quot;:10}/)
  t.match(page, /\(cancelling\)/)
  t.match(page, /Older jobs/)
  t.match(page, /data-live/, 'the page refreshes itself')
  t.match(jobsPage(frame, [], undefined).text, /No jobs yet/)
})
