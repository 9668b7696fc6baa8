/**
 * One device, both views (docs/apple-axm.md §4): a device read of a DEP server that names its org
 * carries the org mirror's view of the device as `org` — purchase data, the MDM server it is
 * assigned to and whether that is this DEP server, the AppleCare end a live lookup stored — read
 * from the org mirror only, never from Apple: a device read costs no AxM call.
 */
import { z } from 'zod'
import type { OrgJoin, OrgLink, Store } from '../store/index.js'
import { timestamp } from './timestamps.js'

export const deviceOrgSchema = z.object({
  name: z.string().describe('The org (GET /v1/orgs/{org})'),
  refreshed_at: timestamp().describe('When the org mirror last completed a refresh with Apple: everything here is as of then'),
  status: z.string().nullable().describe('`ASSIGNED` or `UNASSIGNED` to an MDM server'),
  order_number: z.string().nullable(),
  order_date: timestamp().nullable().describe('Apple\'s orderDateTime'),
  purchase_source: z.string().nullable().describe('`APPLE`, `RESELLER` or `MANUALLY_ADDED`'),
  purchase_source_id: z.string().nullable().describe('Apple\'s purchaseSourceId: the reseller or Apple customer number'),
  added_to_org_at: timestamp().nullable().describe('Apple\'s addedToOrgDateTime'),
  mdm_server: z.object({
    id: z.string(),
    name: z.string().nullable().describe('Its name in Apple Business Manager (null: not among the MDM servers of the last refresh)'),
    is_this_server: z.boolean().describe('True when the device is assigned to this DEP server (the server\'s `org_mdm_server`)')
  }).nullable().describe('The MDM server the device is assigned to in the org; null when unassigned'),
  applecare_end: timestamp().nullable().describe('The latest end of the device\'s AppleCare coverage, as the org\'s last live lookup of the device read it (GET /v1/orgs/{org}/devices/{serial}?source=apple); null before one, or without coverage')
}).meta({
  id: 'DeviceOrgView',
  description: 'The device as the org mirror of the server\'s org sees it (Apple Business / School Manager API), read from depgate\'s org mirror without asking Apple.'
})

/** `org` on a device answer: present when the server names an org, null when the org mirror does not hold the device. */
export const deviceOrgField = deviceOrgSchema.nullable().optional().describe('Only on a server linked to an org (the server\'s `org`): the org mirror\'s view of the device. Null when the org mirror cannot tell: its first refresh has not completed, the org is no longer configured, or the device is not in the org (mistyped, released from the org, or added since the last refresh). Absent on a server without an org.')

export type DeviceOrgView = z.infer<typeof deviceOrgSchema>

const text = (v: unknown): string | null => typeof v === 'string' && v !== '' ? v : null

/** The block for one device of a linked server, from what the org mirror holds; null when it does not hold the device. */
export function deviceOrgView (link: OrgLink, join: OrgJoin | undefined): DeviceOrgView | null {
  if (join?.refreshedAt == null || join.device === undefined) return null
  const { device } = join
  const attrs = device.attributes
  return {
    name: link.org,
    refreshed_at: join.refreshedAt,
    status: device.status,
    order_number: device.order_number,
    order_date: text(attrs.orderDateTime),
    purchase_source: device.purchase_source,
    purchase_source_id: text(attrs.purchaseSourceId),
    added_to_org_at: text(attrs.addedToOrgDateTime),
    mdm_server: device.mdm_server === null
      ? null
      : { id: device.mdm_server, name: device.mdm_server_name, is_this_server: device.mdm_server.toUpperCase() === link.mdmServer.toUpperCase() },
    applecare_end: device.applecare_end
  }
}

/** Reads the org mirror for one serial of a linked server. */
export async function readDeviceOrg (store: Store, link: OrgLink, serial: string): Promise<DeviceOrgView | null> {
  return deviceOrgView(link, await store.orgMirror.joinDevice(link.org, serial))
}

/** A stored device record (JSON object text) with the `org` block spliced in, unparsed. */
export function withOrgText (record: string, org: DeviceOrgView | null): string {
  return `${record.slice(0, -1)},"org":${JSON.stringify(org)}}`
}
