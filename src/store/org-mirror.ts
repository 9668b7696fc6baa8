/**
 * The org mirror's writes. Apple's organisation API has no change cursor (docs/apple-axm.md §4),
 * so a refresh pages the whole device list: it starts a new generation, writes each page in a
 * transaction fenced by the refresh lease (only the holder writes; a replica that lost it writes
 * nothing), stamping every device it saw with the generation and logging what changed, and at
 * the end marks the devices the walk did not see removed. A refresh killed half way leaves every
 * page it wrote committed with its changes; the next one starts a new generation and walks again,
 * so nothing is lost and a device seen by neither walk is only removed by a completed one.
 */
import type { Kysely, Selectable, Transaction } from 'kysely'
import { chunks } from './mirror-change-log.js'
import type { ChangesPage } from './mirror-reads.js'
import { LeaseLostError } from './mirror-writes.js'
import { leaseOps } from './leases.js'
import { recordOrgDeviceEvents, recordOrgRefreshFailed, recordOrgRefreshRecovered } from './org-mirror-events.js'
import type { Database, OrgDevicesTable, OrgStateTable } from './schema.js'

export type OrgStateRow = Selectable<OrgStateTable>

/** A device as a refresh page brings it: Apple's attributes and the MDM server it is assigned to. */
export interface OrgDeviceInput {
  serial: string
  attributes: Record<string, unknown>
  mdmServer: string | null
}

export interface OrgMdmServerInput {
  id: string
  attributes: Record<string, unknown>
}

export interface OrgApplied { added: number, modified: number, removed: number, lastSeq: number }

export interface OrgMirrorWrites {
  getState (org: string): Promise<OrgStateRow | undefined>
  acquireLease (org: string, owner: string, ttlMs: number): Promise<boolean>
  renewLease (org: string, owner: string, ttlMs: number): Promise<boolean>
  releaseLease (org: string, owner: string): Promise<void>
  /** Starts a walk: the generation its pages carry. */
  startRefresh (org: string, owner: string): Promise<number>
  applyDevices (org: string, owner: string, generation: number, devices: readonly OrgDeviceInput[]): Promise<OrgApplied>
  /** Ends a completed walk: unseen devices are removed, the MDM servers replaced. */
  finishRefresh (org: string, owner: string, generation: number, servers: readonly OrgMdmServerInput[]): Promise<OrgApplied>
  recordError (org: string, owner: string, error: { code: string, message: string }): Promise<void>
  /** Asks the replica refreshing the org to start at its next look (any replica may ask). */
  requestRefresh (org: string): Promise<void>
  /** The AppleCare end a live lookup read, kept beside the device (no change logged: Apple's device did not change). */
  setAppleCareEnd (org: string, serial: string, end: string | null): Promise<void>
}

const str = (v: unknown): string | null => typeof v === 'string' && v !== '' ? v : null

/** The filter columns of Apple's attributes (any may be absent, null or "": docs/apple-axm.md §2.3). */
export function orgColumns (attributes: Record<string, unknown>): Pick<OrgDevicesTable, 'status' | 'product_family' | 'order_number' | 'purchase_source'> {
  return {
    status: str(attributes.status),
    product_family: str(attributes.productFamily),
    order_number: str(attributes.orderNumber),
    purchase_source: str(attributes.purchaseSourceType)
  }
}

const changeRecord = (serial: string, record: string, mdmServer: string | null): string =>
  JSON.stringify({ serial_number: serial, mdm_server: mdmServer, attributes: JSON.parse(record) as unknown })

/**
 * Deletes an org's mirror (the org is deleted): devices, servers and feed. The state row stays as
 * a tombstone, as a dropped DEP server's does (mirror-drop.ts explains why): a feed with changes
 * since its floor moves last_seq and drop_floor to its head + 1, a number no change carries, so
 * the org added again numbers its feed above the old one's and an old `since` is refused.
 */
export async function dropOrgMirror (trx: Transaction<Database>, org: string): Promise<void> {
  // The right-hand sides read the row as it was (SQL evaluates SET against the old row).
  await trx.updateTable('org_state').set((eb) => ({ last_seq: eb('last_seq', '+', 1), drop_floor: eb('last_seq', '+', 1) }))
    .where('org', '=', org).whereRef('last_seq', '>', 'drop_floor').execute()
  await trx.updateTable('org_state').set({
    refresh_started_at: null,
    last_refresh_at: null,
    last_attempt_at: null,
    last_error_code: null,
    last_error_message: null,
    last_error_at: null,
    device_count: 0,
    requested_at: null,
    // A replica still refreshing the org loses its lease: its next fenced write fails.
    lease_owner: null,
    lease_expires_at: null
  }).where('org', '=', org).execute()
  for (const table of ['org_devices', 'org_mdm_servers', 'org_changes'] as const) {
    await trx.deleteFrom(table).where('org', '=', org).execute()
  }
}

export function createOrgMirrorWrites (db: Kysely<Database>, now: () => Date): OrgMirrorWrites {
  const iso = (offsetMs = 0): string => new Date(now().getTime() + offsetMs).toISOString()
  const lease = leaseOps(db, 'org_state', 'org', now)

  async function ensureState (org: string): Promise<void> {
    await db.insertInto('org_state').values({ org, generation: 0, last_seq: 0, device_count: 0 })
      .onConflict((oc) => oc.column('org').doNothing()).execute()
  }

  async function fenced<T> (org: string, owner: string, fn: (trx: Transaction<Database>, state: OrgStateRow) => Promise<T>): Promise<T> {
    return await db.transaction().execute(async (trx) => {
      const held = await trx.updateTable('org_state').set({ lease_owner: owner })
        .where('org', '=', org).where('lease_owner', '=', owner).executeTakeFirst()
      if (held.numUpdatedRows === 0n) throw new LeaseLostError(org)
      return await fn(trx, await trx.selectFrom('org_state').selectAll().where('org', '=', org).executeTakeFirstOrThrow())
    })
  }

  /** Logs `changes` from state.last_seq + 1 (and their webhook events) and moves the state's counters on. */
  async function log (trx: Transaction<Database>, org: string, state: OrgStateRow, changes: Array<{ serial: string, op: 'added' | 'modified' | 'removed', record: string }>, at: string): Promise<OrgApplied> {
    for (const batch of chunks(changes.map((c, i) => ({ org, seq: state.last_seq + 1 + i, serial_number: c.serial, op: c.op, at, record: c.record })))) {
      await trx.insertInto('org_changes').values(batch).execute()
    }
    if (changes.length > 0) await recordOrgDeviceEvents(trx, org, changes, state.last_seq + 1, new Date(at))
    const count = (op: string): number => changes.filter((c) => c.op === op).length
    const applied = { added: count('added'), modified: count('modified'), removed: count('removed'), lastSeq: state.last_seq + changes.length }
    await trx.updateTable('org_state').set({ last_seq: applied.lastSeq, device_count: state.device_count + applied.added - applied.removed })
      .where('org', '=', org).execute()
    return applied
  }

  return {
    async getState (org) {
      return await db.selectFrom('org_state').selectAll().where('org', '=', org).executeTakeFirst()
    },
    async acquireLease (org, owner, ttlMs) {
      await ensureState(org)
      return await lease.acquire(org, owner, ttlMs)
    },
    renewLease: lease.renew,
    releaseLease: lease.release,
    async startRefresh (org, owner) {
      return await fenced(org, owner, async (trx, state) => {
        const generation = state.generation + 1
        await trx.updateTable('org_state').set({ generation, refresh_started_at: iso(), last_attempt_at: iso(), requested_at: null })
          .where('org', '=', org).execute()
        return generation
      })
    },
    async applyDevices (org, owner, generation, devices) {
      return await fenced(org, owner, async (trx, state) => {
        // A page of an older walk (this replica's, before another took over and started its own) is stale.
        if (state.generation !== generation) throw new LeaseLostError(org)
        const at = iso()
        const bySerial = new Map(devices.map((d) => [d.serial, d]))
        const existing = new Map<string, Pick<OrgDevicesTable, 'record' | 'mdm_server' | 'removed_at'>>()
        for (const batch of chunks([...bySerial.keys()])) {
          const rows = await trx.selectFrom('org_devices').select(['serial_number', 'record', 'mdm_server', 'removed_at'])
            .where('org', '=', org).where('serial_number', 'in', batch).execute()
          for (const r of rows) existing.set(r.serial_number, r)
        }
        const changes: Array<{ serial: string, op: 'added' | 'modified', record: string }> = []
        const unchanged: string[] = []
        for (const d of bySerial.values()) {
          const record = JSON.stringify(d.attributes)
          const old = existing.get(d.serial)
          if (old !== undefined && old.removed_at === null && old.record === record && old.mdm_server === d.mdmServer) {
            unchanged.push(d.serial)
            continue
          }
          const seq = state.last_seq + 1 + changes.length
          changes.push({ serial: d.serial, op: old === undefined || old.removed_at !== null ? 'added' : 'modified', record: changeRecord(d.serial, record, d.mdmServer) })
          const values = { ...orgColumns(d.attributes), mdm_server: d.mdmServer, record, last_changed_at: at, removed_at: null, generation, seq }
          await trx.insertInto('org_devices').values({ org, serial_number: d.serial, applecare_end: null, first_seen_at: at, ...values })
            .onConflict((oc) => oc.columns(['org', 'serial_number']).doUpdateSet(values)).execute()
        }
        for (const batch of chunks(unchanged)) {
          await trx.updateTable('org_devices').set({ generation }).where('org', '=', org).where('serial_number', 'in', batch).execute()
        }
        return await log(trx, org, state, changes, at)
      })
    },
    async finishRefresh (org, owner, generation, servers) {
      return await fenced(org, owner, async (trx, state) => {
        if (state.generation !== generation) throw new LeaseLostError(org)
        const at = iso()
        const unseen = await trx.selectFrom('org_devices').select(['serial_number', 'record', 'mdm_server'])
          .where('org', '=', org).where('removed_at', 'is', null).where('generation', '<', generation)
          .orderBy('serial_number').execute()
        const changes = unseen.map((r) => ({ serial: r.serial_number, op: 'removed' as const, record: changeRecord(r.serial_number, r.record, r.mdm_server) }))
        for (const [i, r] of unseen.entries()) {
          await trx.updateTable('org_devices').set({ removed_at: at, last_changed_at: at, seq: state.last_seq + 1 + i })
            .where('org', '=', org).where('serial_number', '=', r.serial_number).execute()
        }
        await trx.deleteFrom('org_mdm_servers').where('org', '=', org).execute()
        for (const batch of chunks(servers.map((s) => ({
          org, id: s.id, server_name: str(s.attributes.serverName), server_type: str(s.attributes.serverType), record: JSON.stringify(s.attributes), updated_at: at
        })))) {
          await trx.insertInto('org_mdm_servers').values(batch).execute()
        }
        const applied = await log(trx, org, state, changes, at)
        await trx.updateTable('org_state').set({ last_refresh_at: at, last_error_code: null, last_error_message: null, last_error_at: null })
          .where('org', '=', org).execute()
        await recordOrgRefreshRecovered(trx, org, state.last_error_code, new Date(at))
        return applied
      })
    },
    async recordError (org, owner, error) {
      await db.transaction().execute(async (trx) => {
        const before = await trx.selectFrom('org_state').select('last_error_code').where('org', '=', org).executeTakeFirst()
        const at = iso()
        const held = await trx.updateTable('org_state').set({ last_error_code: error.code, last_error_message: error.message, last_error_at: at })
          .where('org', '=', org).where('lease_owner', '=', owner).executeTakeFirst()
        // Webhooks: the first failure of a run of them, committed with it; a replica that lost the lease records neither.
        if (held.numUpdatedRows > 0n) await recordOrgRefreshFailed(trx, org, before!.last_error_code, error, new Date(at))
      })
    },
    async requestRefresh (org) {
      await ensureState(org)
      await db.updateTable('org_state').set({ requested_at: iso() }).where('org', '=', org).execute()
    },
    async setAppleCareEnd (org, serial, end) {
      await db.updateTable('org_devices').set({ applecare_end: end }).where('org', '=', org).where('serial_number', '=', serial).execute()
    }
  }
}

/** The org feed as the change-feed route reads it (src/api/org-changes.ts). */
export interface OrgFeedReads {
  /**
   * The changes after `since`, oldest first, as the DEP feed's page (records as stored JSON text,
   * never parsed), with the head and the floor read after them: a floor above `since` means the
   * org was deleted (and added again) while the read ran. The org feed is not compacted, so its
   * feed_floor is its drop_floor.
   */
  changesSince (org: string, since: number, limit: number): Promise<ChangesPage>
}

const INT4_MAX = 2_147_483_647

export function createOrgFeedReads (db: Kysely<Database>): OrgFeedReads {
  return {
    async changesSince (org, since, limit) {
      // seq is an `integer` column: on PostgreSQL a larger parameter is an error, not "no change after it"
      // (the API takes any safe integer and refuses one beyond the head once it has read the page).
      const rows = await db.selectFrom('org_changes').select(['seq', 'op', 'serial_number', 'at', 'record'])
        .where('org', '=', org).where('seq', '>', Math.min(since, INT4_MAX)).orderBy('seq').limit(limit).execute()
      const state = await db.selectFrom('org_state').select(['last_seq', 'drop_floor']).where('org', '=', org).executeTakeFirst()
      const changes = rows.map((r) => ({ ...r, seq: Number(r.seq) }))
      const floor = Number(state?.drop_floor ?? 0)
      // The state row is written in the change's transaction; max() guards a read between two of them.
      const lastSeq = Math.max(Number(state?.last_seq ?? 0), changes.length === 0 ? 0 : changes[changes.length - 1].seq)
      return { changes, last_seq: lastSeq, feed_floor: floor, drop_floor: floor }
    }
  }
}
