/**
 * A second, read-only SQLite connection for the mirror's by-serial lookup, the hottest read there
 * is. Outside a transaction every SQLite statement takes and drops its WAL read lock, two fcntl
 * calls and an fstat: about half of what a primary-key lookup costs (measured). This connection
 * instead opens one read transaction (a snapshot) at the first lookup of an event-loop turn and
 * ends it in `setImmediate`, so the lookups of a busy turn share it. It is synchronous, so the
 * lookup costs no promise either.
 *
 * Fresh enough by construction: the snapshot is also ended before the next lookup once this
 * process has run any write on the main connection (the statement cache reports every write it
 * hands out, commits included), so a lookup never misses a write this process has made. A write
 * by another process on the same file is seen from the next turn on, as if the lookup had come a
 * moment earlier. A separate connection (rather than the main one) also keeps the lookups out of
 * the transactions Kysely holds open across awaits, whose uncommitted rows they must not see.
 */
import Sqlite, { type Database as SqliteDatabase, type Statement } from 'better-sqlite3'

/** The error a lookup meets once the store closed this reader (isStoreClosedError, store/index.ts, tells it apart: answered 503). */
export const READER_CLOSED = 'the SQLite snapshot reader is closed'

export interface SnapshotReaderOptions {
  /** How many writes the main connection has run so far (the snapshot is renewed when this moves). */
  writes: () => number
}

export class SqliteSnapshotReader {
  #db: SqliteDatabase | undefined
  readonly #statements = new Map<string, Statement>()
  #inSnapshot = false
  #writesAtStart = 0
  #end: NodeJS.Immediate | undefined
  #closed = false

  constructor (private readonly file: string, private readonly opts: SnapshotReaderOptions) {}

  /** The first row of `sql` with `params`, read in the current snapshot. */
  get<Row> (sql: string, params: unknown[]): Row | undefined {
    if (this.#closed) throw new Error(READER_CLOSED)
    const writes = this.opts.writes()
    if (this.#inSnapshot && writes !== this.#writesAtStart) this.#endSnapshot()
    const statement = this.#statement(sql)
    if (!this.#inSnapshot) {
      this.#database().exec('begin')
      this.#inSnapshot = true
      this.#writesAtStart = writes
      this.#end ??= setImmediate(() => {
        this.#end = undefined
        this.#endSnapshot()
      })
    }
    return statement.get(params) as Row | undefined
  }

  close (): void {
    this.#closed = true
    if (this.#end !== undefined) clearImmediate(this.#end)
    this.#end = undefined
    this.#endSnapshot()
    this.#statements.clear()
    this.#db?.close()
    this.#db = undefined
  }

  #endSnapshot (): void {
    if (!this.#inSnapshot) return
    this.#inSnapshot = false
    try {
      this.#db?.exec('commit')
    } /* c8 ignore start - ending a read transaction does not fail short of a broken connection */ catch {
      // A connection left inside its transaction would refuse every later `begin`: start afresh.
      this.#statements.clear()
      this.#db?.close()
      this.#db = undefined
    } /* c8 ignore stop */
  }

  // Opened at the first lookup, once the main connection has created and migrated the file.
  #database (): SqliteDatabase {
    if (this.#db === undefined) {
      this.#db = new Sqlite(this.file, { readonly: true, fileMustExist: true })
      this.#db.pragma('busy_timeout = 5000')
    }
    return this.#db
  }

  #statement (sql: string): Statement {
    let statement = this.#statements.get(sql)
    if (statement === undefined) {
      statement = this.#database().prepare(sql)
      this.#statements.set(sql, statement)
    }
    return statement
  }
}
