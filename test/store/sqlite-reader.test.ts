import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import Sqlite from 'better-sqlite3'
import t, { type Test } from 'tap'
import { SqliteSnapshotReader } from '../../src/store/sqlite-reader.js'
import { withStatementCache } from '../../src/store/sqlite-statements.js'

const nextTurn = async (): Promise<void> => { await new Promise((resolve) => setImmediate(resolve)) }
const SELECT = 'select v from n where k = ?'

function setUp (t: Test) {
  const dir = mkdtempSync(join(tmpdir(), 'depgate-reader-'))
  const file = join(dir, 'db.sqlite')
  const raw = new Sqlite(file)
  raw.pragma('journal_mode = WAL')
  let writes = 0
  const main = withStatementCache(raw, undefined, () => { writes++ })
  main.prepare('create table n (k text primary key, v integer)').run([])
  main.prepare('insert into n values (?, ?)').run(['a', 1])
  // Another process on the same file: its writes are not counted.
  const other = new Sqlite(file)
  const reader = new SqliteSnapshotReader(file, { writes: () => writes })
  t.teardown(() => {
    reader.close()
    other.close()
    main.close()
    rmSync(dir, { recursive: true, force: true })
  })
  return { main, other, reader, writes: () => writes }
}

t.test('the statement cache reports the statements that write, commits and RETURNING included, and not the reads', async (t) => {
  const { main, writes } = setUp(t)
  const before = writes()
  main.prepare('select v from n').all([])
  t.equal(writes(), before, 'a read is not a write')
  main.prepare('begin').run([])
  main.prepare('update n set v = 2').run([])
  main.prepare('commit').run([])
  t.equal(writes(), before + 3)
  // better-sqlite3 calls a statement with RETURNING a reader (it returns rows), yet it writes.
  main.prepare('insert into n values (?, ?) returning v').all(['r', 9])
  t.equal(writes(), before + 4)
})

t.test('the lookups of one turn share a snapshot; the next turn sees what others committed', async (t) => {
  const { other, reader } = setUp(t)
  t.same(reader.get(SELECT, ['a']), { v: 1 })
  other.prepare('update n set v = 5 where k = ?').run('a')
  t.same(reader.get(SELECT, ['a']), { v: 1 }, 'the same turn: the snapshot of its first lookup')
  t.equal(reader.get(SELECT, ['zz']), undefined, 'no row')
  await nextTurn()
  t.same(reader.get(SELECT, ['a']), { v: 5 }, 'a later turn: a new snapshot')
})

t.test('a write on the main connection ends the snapshot at once, so this process always reads its own writes', async (t) => {
  const { main, reader } = setUp(t)
  t.same(reader.get(SELECT, ['a']), { v: 1 })
  main.prepare('insert into n values (?, ?)').run(['b', 2])
  t.same(reader.get(SELECT, ['b']), { v: 2 }, 'seen in the same turn')
  // A transaction still open on the main connection is not seen until it commits.
  main.prepare('begin').run([])
  main.prepare('update n set v = 3 where k = ?').run(['b'])
  t.same(reader.get(SELECT, ['b']), { v: 2 }, 'uncommitted: not seen')
  main.prepare('commit').run([])
  t.same(reader.get(SELECT, ['b']), { v: 3 }, 'committed: seen')
})

t.test('a snapshot never outlives its turn, so it never holds back the log: a checkpoint can truncate it', async (t) => {
  const { main, other, reader } = setUp(t)
  reader.get(SELECT, ['a'])
  await nextTurn()
  other.prepare('update n set v = 7 where k = ?').run('a')
  const [result] = main.prepare('pragma wal_checkpoint(truncate)').all([]) as Array<{ busy: number }>
  t.equal(result.busy, 0, 'no reader in the way')
  t.same(reader.get(SELECT, ['a']), { v: 7 })
})

t.test('close ends an open snapshot and closes the connection for good; closing twice is harmless', async (t) => {
  const { main, reader } = setUp(t)
  reader.get(SELECT, ['a'])
  reader.close()
  reader.close()
  t.throws(() => reader.get(SELECT, ['a']), /reader is closed/, 'no connection is opened again after close')
  await nextTurn()
  // The snapshot ended with the connection: nothing holds the log back.
  main.prepare('update n set v = 8 where k = ?').run(['a'])
  const [result] = main.prepare('pragma wal_checkpoint(truncate)').all([]) as Array<{ busy: number }>
  t.equal(result.busy, 0)
})
