/**
 * The device mirror's repository: the write side (the syncer's fenced page writes, the lease, the
 * sync state, depgate's own writes reflected at once) and the read side (routes) over the same
 * tables, as one `store.mirror`.
 */
import type { Kysely } from 'kysely'
import { createMirrorOwnWrites, type MirrorOwnWrites } from './mirror-own-writes.js'
import { createMirrorReads, type MirrorReads } from './mirror-reads.js'
import { createMirrorWrites, type MirrorWrites } from './mirror-writes.js'
import type { Database } from './schema.js'
import type { SqliteSnapshotReader } from './sqlite-reader.js'

export type { ApplyResult, CompactionResult, DeviceRecord, MirrorStateRow, MirrorWrites, PageInput, SyncPhase } from './mirror-writes.js'
export { LeaseLostError } from './mirror-writes.js'
export type { MirrorReads } from './mirror-reads.js'
export type { MirrorOwnWrites, OwnWrite } from './mirror-own-writes.js'

export type MirrorRepository = MirrorWrites & MirrorOwnWrites & MirrorReads

export function createMirrorRepository (db: Kysely<Database>, now: () => Date, reader?: SqliteSnapshotReader, snapshotLimit?: number): MirrorRepository {
  return { ...createMirrorWrites(db, now), ...createMirrorOwnWrites(db, now), ...createMirrorReads(db, reader, snapshotLimit) }
}
