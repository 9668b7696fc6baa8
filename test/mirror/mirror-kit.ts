/**
 * Checks shared by the mirror tests: the mirror against the simulator's truth, and the change
 * feed replayed from nothing against the mirror (no gap, no duplicate, nothing lost).
 */
import { Kysely } from 'kysely'
import type { Test } from 'tap'
import { createDialect, type DialectOptions } from '../../src/store/dialect.js'
import type { Database } from '../../src/store/schema.js'

type Teardown = Pick<Test, 'teardown'>

/** A second Kysely on the test's database, to read the mirror's tables as stored. */
export function mirrorDb (t: Teardown, database: DialectOptions): Kysely<Database> {
  const db = new Kysely<Database>({ dialect: createDialect(database).dialect })
  t.teardown(async () => await db.destroy())
  return db
}

export type Devices = Record<string, Record<string, unknown>>

/** Present devices as stored: serial → Apple's record. */
export async function mirrorDevices (db: Kysely<Database>, server = 'default'): Promise<Devices> {
  const rows = await db.selectFrom('inventory_devices').select(['serial_number', 'record'])
    .where('server', '=', server).where('removed_at', 'is', null).execute()
  return Object.fromEntries(rows.map((r) => [r.serial_number, JSON.parse(r.record) as Record<string, unknown>]))
}

/** The simulator's truth: serial → every field. */
export async function simTruth (control: <T>(method: string, path: string) => Promise<T>): Promise<Devices> {
  const { devices } = await control<{ devices: Array<Record<string, unknown> & { serial_number: string }> }>('GET', '/_sim/devices')
  return Object.fromEntries(devices.map((d) => [d.serial_number, d]))
}

/**
 * Replays the change log from seq 1: every seq present exactly once and in order, an `added` only
 * for an absent device, `modified` / `removed` only for a present one, and the replay ending equal
 * to the mirror. Returns the replayed devices and the counts per op.
 *
 * `compacted`: the log went through compaction (a syncer ran: store/feed-compaction.ts), so a
 * device's earlier changes may be gone: seqs only increase (gaps allowed), a `modified` or
 * `removed` may come first for its device, but an `added` for a present device is still a
 * duplicate, and the replay must still end equal to the mirror: every live device's latest state.
 */
export async function replayChanges (t: Test, db: Kysely<Database>, server = 'default', opts: { compacted?: boolean } = {}): Promise<{ devices: Devices, ops: Record<string, number> }> {
  const compacted = opts.compacted === true
  const rows = await db.selectFrom('inventory_changes').selectAll().where('server', '=', server).orderBy('seq').execute()
  const devices: Devices = {}
  const ops: Record<string, number> = { added: 0, modified: 0, removed: 0 }
  const problems: string[] = []
  rows.forEach((row, i) => {
    if (compacted ? i > 0 && row.seq <= rows[i - 1].seq : row.seq !== i + 1) problems.push(`seq ${row.seq} at position ${i + 1}`)
    const present = row.serial_number in devices
    if (row.op === 'added' && present) problems.push(`seq ${row.seq}: ${row.serial_number} added twice`)
    if (row.op !== 'added' && !present && !compacted) problems.push(`seq ${row.seq}: ${row.serial_number} ${row.op} while absent`)
    ops[row.op] = (ops[row.op] ?? 0) + 1
    if (row.op === 'removed') delete devices[row.serial_number]
    else devices[row.serial_number] = JSON.parse(row.record) as Record<string, unknown>
  })
  t.same(problems, [], compacted ? 'the compacted change feed is in order, without a duplicate' : 'the change feed has no gap and no duplicate')
  const state = await db.selectFrom('inventory_state').select('last_seq').where('server', '=', server).executeTakeFirst()
  if (compacted) {
    t.ok(rows.length === 0 || rows[rows.length - 1].seq <= (state?.last_seq ?? 0), 'no change beyond last_seq')
    sameDevices(t, devices, await mirrorDevices(db, server), 'replaying the compacted feed gives the mirror')
  } else {
    t.equal(rows.length, state?.last_seq ?? 0, 'last_seq counts every change')
  }
  return { devices, ops }
}

/** Compares two device maps by serial set and fields, reporting only a few differences. */
export function sameDevices (t: Test, actual: Devices, expected: Devices, message: string): void {
  const missing = Object.keys(expected).filter((s) => !(s in actual))
  const extra = Object.keys(actual).filter((s) => !(s in expected))
  const differ = Object.keys(expected).filter((s) => s in actual && JSON.stringify(sorted(actual[s]!)) !== JSON.stringify(sorted(expected[s]!)))
  t.same({ missing: missing.slice(0, 5), extra: extra.slice(0, 5), differ: differ.slice(0, 5), count: Object.keys(actual).length },
    { missing: [], extra: [], differ: [], count: Object.keys(expected).length }, message)
}

function sorted (o: Record<string, unknown>): Record<string, unknown> {
  return Object.fromEntries(Object.keys(o).sort().map((k) => [k, o[k]]))
}
