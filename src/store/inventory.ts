/**
 * The device mirror's repository: the write side (the syncer's fenced page writes, the lease, the
 * sync state) and the read side (routes) over the same tables, as one `store.inventory`.
 */
import type { Kysely } from 'kysely'
import { createInventoryReads, type InventoryReads } from './inventory-reads.js'
import { createInventoryWrites, type InventoryWrites } from './inventory-writes.js'
import type { Database } from './schema.js'
import type { SqliteSnapshotReader } from './sqlite-reader.js'

export type { ApplyResult, CompactionResult, DeviceRecord, InventoryStateRow, InventoryWrites, PageInput, SyncPhase } from './inventory-writes.js'
export { LeaseLostError } from './inventory-writes.js'
export type { InventoryReads } from './inventory-reads.js'

export type InventoryRepository = InventoryWrites & InventoryReads

export function createInventoryRepository (db: Kysely<Database>, now: () => Date, reader?: SqliteSnapshotReader, snapshotLimit?: number): InventoryRepository {
  return { ...createInventoryWrites(db, now), ...createInventoryReads(db, reader, snapshotLimit) }
}
