/**
 * Read snapshots for the mirror's whole-list streams in an order other than the serial's.
 *
 * A stream's pages are separate queries: with a sort other than the serial, a sync that changes a
 * device's sort value between two of them would move it from the unread part of the order to the
 * read part (never sent) or back (sent twice). So every page of such a stream is read in one
 * snapshot, a transaction held until the stream ends:
 * - PostgreSQL: REPEATABLE READ (read only) on one pooled connection.
 * - SQLite: its own read-only connection to the file, in a deferred transaction whose first page
 *   fixes the snapshot. Not the main connection: the syncer writes on it, and Kysely gives a
 *   transaction that connection alone until it ends, so a stream held by a slow client would stop
 *   syncing (and every other query). Not the snapshot reader (sqlite-reader.ts) either: it ends
 *   its snapshot every event-loop turn. In WAL mode the syncer commits meanwhile; the stream does
 *   not see it.
 *
 * A snapshot lasts as long as its client takes to read, so at most `max` are open at once: beyond,
 * `open` throws SnapshotLimitError (answered 503) rather than let slow clients take the whole
 * PostgreSQL pool, or keep SQLite's WAL from ever being checkpointed.
 */
import Sqlite from 'better-sqlite3'
import { type CompiledQuery, type Kysely, SqliteAdapter, sql } from 'kysely'
import type { Database } from './schema.js'

/** Snapshots open at once at most; PostgreSQL's default pool has 10 connections, and the rest of depgate needs some. */
export const MAX_SNAPSHOTS = 4

/**
 * The cap for a PostgreSQL pool of `poolSize` connections: each snapshot holds one for as long as
 * its client reads, so at most half of them (and at least one), leaving the rest to everything else.
 */
export function snapshotLimitFor (poolSize: number): number {
  return Math.max(1, Math.min(MAX_SNAPSHOTS, Math.floor(poolSize / 2)))
}

/** Runs a compiled query and returns its rows. */
export type Run = <R>(query: CompiledQuery<R>) => Promise<R[]>

/** One stream's read snapshot: the pages it runs all see the database as of the first one. */
export interface Snapshot {
  run: Run
  /** Ends the transaction (and releases its connection); idempotent. */
  end: () => Promise<void>
}

export interface ReadSnapshots {
  open: () => Promise<Snapshot>
  /** Ends every snapshot still open, and refuses new ones: the store is closing. */
  endAll: () => Promise<void>
}

export class SnapshotLimitError extends Error {
  constructor (readonly limit: number) {
    super(`${limit} sorted whole-list reads are running already`)
    this.name = 'SnapshotLimitError'
  }
}

/** The error a stream meets once the store closes (isStoreClosedError, store/index.ts, tells it apart: answered 503). */
export const CLOSING = 'the stream was ended: the store is closing'

export function createReadSnapshots (db: Kysely<Database>, max = MAX_SNAPSHOTS): ReadSnapshots {
  // Kysely's executor tells the dialects apart; the store has no other handle on it here.
  const sqlite = db.getExecutor().adapter instanceof SqliteAdapter
  const open = new Set<Snapshot>()
  let opening = 0
  let closing = false

  async function sqliteSnapshot (): Promise<Snapshot> {
    const { rows: [main] } = await sql<{ file: string }>`select file from pragma_database_list where name = 'main'`.execute(db)
    const connection = new Sqlite(main.file, { readonly: true, fileMustExist: true })
    connection.pragma('busy_timeout = 5000')
    connection.exec('begin')
    return {
      run: async <R>(query: CompiledQuery<R>) => connection.prepare(query.sql).all(query.parameters) as R[],
      // Closing the connection ends its read transaction.
      end: async () => { connection.close() }
    }
  }

  async function postgresSnapshot (): Promise<Snapshot> {
    const trx = await db.startTransaction().setIsolationLevel('repeatable read').setAccessMode('read only').execute()
    return {
      run: async (query) => (await trx.executeQuery(query)).rows,
      // Releases the connection to the pool, even when the rollback fails.
      end: async () => { await trx.rollback().execute() }
    }
  }

  return {
    async open () {
      if (closing) throw new Error(CLOSING)
      // Counted before the first await, so that concurrent opens cannot all pass the check.
      if (open.size + opening >= max) throw new SnapshotLimitError(max)
      opening++
      let opened: Snapshot
      try {
        opened = sqlite ? await sqliteSnapshot() : await postgresSnapshot()
      } finally {
        opening--
      }
      // The store began closing while this one opened: endAll did not see it.
      if (closing) {
        await opened.end()
        throw new Error(CLOSING)
      }
      let ended = false
      const snapshot: Snapshot = {
        async run (query) {
          if (ended) throw new Error(CLOSING)
          return await opened.run(query)
        },
        async end () {
          if (ended) return
          ended = true
          open.delete(snapshot)
          await opened.end()
        }
      }
      open.add(snapshot)
      return snapshot
    },

    async endAll () {
      closing = true
      await Promise.allSettled([...open].map(async (snapshot) => { await snapshot.end() }))
    }
  }
}
