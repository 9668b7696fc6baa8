/**
 * The Orgs page and a device's org block on their own, with the states a live org rarely shows at
 * once: no token yet, an expired one, errors from Apple and from a refresh, MDM servers without a
 * name or devices, a link to an MDM server the mirror does not list, a device on another MDM
 * server or none; every value escaped.
 */
import t from 'tap'
import type { DeviceOrgView } from '../../src/api/device-org.js'
import type { OrgView } from '../../src/api/orgs.js'
import type { Viewer } from '../../src/ui/layout.js'
import { devicePage } from '../../src/ui/pages/device.js'
import type { DeviceOrgPanel } from '../../src/ui/pages/device-org.js'
import { orgsPage } from '../../src/ui/pages/orgs.js'

const NOW = Date.parse('2026-12-07T10:00:00Z')
const viewer: Viewer = { keyId: 'abc', label: 'ops', scope: 'read', expiresAt: '2026-12-07T18:00:00Z' }
const frame = { viewer, csrf: 'tok' }
const HOSTILE = '<script>alert(1)</script>'

const org: OrgView = {
  name: 'acme',
  client_id: `BUSINESSAPI.${HOSTILE}`,
  key_id: 'k1',
  scope: 'business.api',
  base_url: null,
  token_url: null,
  token: { expires_at: '2026-12-07T09:30:00Z', checked_at: '2026-12-07T08:30:00Z' },
  last_error: { code: 'ORG_APPLE_UNAVAILABLE', at: '2026-12-07T09:00:00Z' },
  mirror: {
    ready: true,
    last_refresh_at: '2026-12-07T09:50:00Z',
    refresh_started_at: null,
    device_count: 1234,
    last_seq: 9,
    last_error: { code: 'RATE_LIMITED', message: `Apple answered 429 ${HOSTILE}`, at: '2026-12-07T09:55:00Z' }
  },
  created_at: '2026-01-01T00:00:00Z',
  updated_at: '2026-01-01T00:00:00Z'
}
const mdm = (id: string, name: string | null, n: number) => ({ id, server_name: name, server_type: name === null ? null : 'MDM', device_count: n, attributes: {}, updated_at: '2026-12-07T09:50:00Z' })

t.test('orgs: none, errors in words, servers and links, escaped', async (t) => {
  const empty = orgsPage(frame, [], NOW).text
  t.match(empty, /No org is configured: add one with <code>PUT \/v1\/orgs\/\{org\}<\/code>/)
  t.match(empty, /<a href="\/ui\/orgs" aria-current="page">Orgs<\/a>/, 'in the navigation of a read session')

  const full = orgsPage(frame, [{
    org,
    mdmServers: [mdm('AAA', `Paris ${HOSTILE}`, 1200), mdm('BBB', null, 0)],
    links: [{ server: 'paris', mdmServer: 'aaa' }, { server: 'lyon', mdmServer: 'AAA' }, { server: 'nice', mdmServer: 'CCC' }]
  }], NOW).text
  t.notMatch(full, /<script>alert/, 'every value is text')
  t.match(full, '<code>BUSINESSAPI.&lt;script&gt;')
  t.match(full, /<span class="badge">expired<\/span> 30 min ago, renewed at the next call/)
  t.match(full, /<span class="badge bad">ORG_APPLE_UNAVAILABLE<\/span> <span class="wrap">[^<]{10,}<\/span>/, 'Apple\'s error with a sentence')
  t.match(full, 'Apple answered 429 &lt;script&gt;', 'the refresh error\'s own message')
  t.match(full, '<strong data-org-count="acme">1,234</strong> devices')
  t.match(full, /<span data-since="2026-12-07T09:50:00Z">10 min ago<\/span>/)
  t.match(full, '<td data-mdm-count="AAA">1,200</td><td><a href="/ui/servers/paris/devices">paris</a>, <a href="/ui/servers/lyon/devices">lyon</a></td>', 'both servers linked to it, whatever the case of the id')
  t.match(full, '<td><span class="muted">no name</span></td><td>—</td><td><code>BBB</code></td>')
  t.match(full, /paris<\/a> is the MDM server <strong>Paris &lt;script&gt;[^<]*<\/strong> <code class="muted">aaa<\/code>/)
  t.match(full, 'nice</a> is the MDM server <code>CCC</code>', 'an id the mirror does not list: shown as it is')

  const fresh = orgsPage(frame, [
    { org: { ...org, token: { expires_at: null, checked_at: null }, last_error: null, mirror: { ...org.mirror, ready: false, last_refresh_at: null, last_error: null } }, links: [{ server: 'paris', mdmServer: 'AAA' }] },
    { org: { ...org, name: 'beta', token: { expires_at: '2026-12-07T10:40:00Z', checked_at: '2026-12-07T09:40:00Z' } }, mdmServers: [], links: [] }
  ], NOW).text
  t.match(fresh, /none yet: depgate gets one at its first call to Apple/)
  t.match(fresh, /first refresh running/)
  t.match(fresh, 'paris</a> is the MDM server <code>AAA</code>', 'linked before the first refresh: the id alone')
  t.match(fresh, /Shown once the org mirror's first refresh has completed/)
  t.match(fresh, 'none: link one with <code>PATCH /v1/servers/{server}</code> and <code>{"org": "beta"}</code>')
  t.match(fresh, /<dt>Last error with Apple<\/dt><dd><span class="muted">none<\/span>/)
  t.match(fresh, /<span class="badge ok">valid<\/span> for 40 min/)
  t.match(fresh, /The org has no MDM server/)
})

const view: DeviceOrgView = {
  name: 'acme',
  refreshed_at: '2026-12-07T09:50:00Z',
  status: 'ASSIGNED',
  order_number: `PO-${HOSTILE}`,
  order_date: '2025-03-01T00:00:00Z',
  purchase_source: 'RESELLER',
  purchase_source_id: '1A2B3C',
  added_to_org_at: '2025-03-02T00:00:00Z',
  mdm_server: { id: 'BBB', name: null, is_this_server: false },
  applecare_end: '2028-03-01T00:00:00Z'
}

t.test('a device\'s org block, and why there is none', async (t) => {
  const device = (org: DeviceOrgPanel | undefined) => devicePage(frame, {
    server: 'paris', serial: 'C1', record: {}, lastChangedAt: '2026-12-01T00:00:00Z', removedAt: null, history: [], assignment: { kind: 'no_rules' }, engine: undefined, ...(org === undefined ? {} : { org })
  }).text
  t.notMatch(device(undefined), /aria-labelledby="org"/, 'a server without an org: no section')
  const other = device({ org: 'acme', view })
  t.match(other, '<h2 id="org">In org <a href="/ui/orgs#org-acme">acme</a></h2>')
  t.match(other, '<dt>Order number</dt><dd>PO-&lt;script&gt;')
  t.match(other, '<dt>Order date</dt><dd>2025-03-01 00:00 UTC</dd>')
  t.match(other, '<dt>Purchase source</dt><dd>RESELLER <span class="muted">(1A2B3C)</span></dd>')
  t.match(other, '<code>BBB</code> <span class="badge warn">another MDM server</span>', 'an MDM server without a name: its id')
  t.match(other, '<dt>AppleCare ends</dt><dd>2028-03-01 00:00 UTC</dd>')
  t.match(other, '<dt>Org mirror refreshed</dt><dd>2026-12-07 09:50 UTC</dd>')
  const bare = device({ org: 'acme', view: { ...view, status: 'UNASSIGNED', order_number: null, order_date: null, purchase_source: null, purchase_source_id: null, mdm_server: null, applecare_end: null } })
  t.match(bare, '<dt>Order number</dt><dd>—</dd>')
  t.match(bare, '<dt>Purchase source</dt><dd>—</dd>')
  t.match(bare, /none: the device is not assigned to an MDM server/)
  t.match(bare, /<dt>AppleCare ends<\/dt><dd><span class="muted">unknown/)
  t.match(device({ org: 'acme', view: { ...view, status: null } }), '<dt>Status</dt><dd>—</dd>')
  t.match(device({ org: 'acme', view: { why: 'gone' } }), /no longer configured in depgate/)
  t.match(device({ org: 'acme', view: { why: 'not_ready' } }), /has not completed its first refresh yet/)
  t.match(device({ org: 'acme', view: { why: 'absent', refreshedAt: '2026-12-07T09:50:00Z' } }), 'Org acme had no device with serial number C1 at its last refresh (2026-12-07 09:50 UTC)')
})
