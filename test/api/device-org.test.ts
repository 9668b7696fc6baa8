/** The org block of a linked server's device answer, from what the org mirror holds. */
import t from 'tap'
import { deviceOrgView, withOrgText } from '../../src/api/device-org.js'
import type { OrgJoinedDevice } from '../../src/store/index.js'

const link = { org: 'acme', mdmServer: 'AAAA' }
const device: OrgJoinedDevice = {
  status: 'ASSIGNED',
  mdm_server: 'aaaa',
  mdm_server_name: 'Paris MDM',
  order_number: 'ORD-1',
  purchase_source: 'RESELLER',
  applecare_end: '2028-01-01T00:00:00Z',
  attributes: { orderDateTime: '2025-01-02T00:00:00Z', purchaseSourceId: '123', addedToOrgDateTime: '2025-01-03T00:00:00Z' }
}

t.test('null when the org mirror cannot tell', async (t) => {
  t.equal(deviceOrgView(link, undefined), null, 'no mirror state (the org is gone)')
  t.equal(deviceOrgView(link, { refreshedAt: null, device }), null, 'not refreshed yet')
  t.equal(deviceOrgView(link, { refreshedAt: '2026-01-01T00:00:00Z' }), null, 'not in the org')
})

t.test('the device as the org sees it', async (t) => {
  t.same(deviceOrgView(link, { refreshedAt: '2026-01-01T00:00:00Z', device }), {
    name: 'acme',
    refreshed_at: '2026-01-01T00:00:00Z',
    status: 'ASSIGNED',
    order_number: 'ORD-1',
    order_date: '2025-01-02T00:00:00Z',
    purchase_source: 'RESELLER',
    purchase_source_id: '123',
    added_to_org_at: '2025-01-03T00:00:00Z',
    mdm_server: { id: 'aaaa', name: 'Paris MDM', is_this_server: true },
    applecare_end: '2028-01-01T00:00:00Z'
  }, 'ids compared ignoring case')
  const elsewhere = deviceOrgView(link, { refreshedAt: '2026-01-01T00:00:00Z', device: { ...device, mdm_server: 'BBBB', attributes: { orderDateTime: '', purchaseSourceId: 7 } } })
  t.match(elsewhere, { mdm_server: { id: 'BBBB', is_this_server: false }, order_date: null, purchase_source_id: null, added_to_org_at: null }, 'another server; blank or odd attributes are null')
  t.match(deviceOrgView(link, { refreshedAt: '2026-01-01T00:00:00Z', device: { ...device, mdm_server: null, status: 'UNASSIGNED' } }), { mdm_server: null, status: 'UNASSIGNED' })
})

t.test('spliced into a stored record', async (t) => {
  t.same(JSON.parse(withOrgText('{"serial_number":"X"}', null)), { serial_number: 'X', org: null })
})
