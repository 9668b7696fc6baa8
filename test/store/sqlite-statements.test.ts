import Sqlite from 'better-sqlite3'
import t from 'tap'
import { withStatementCache } from '../../src/store/sqlite-statements.js'

t.test('statements are prepared once per SQL text, never shared while busy, and bounded', async (t) => {
  const raw = new Sqlite(':memory:')
  const db = withStatementCache(raw, 2)
  db.prepare('create table n (v integer)').run([])
  db.prepare('insert into n values (1), (2)').run([])
  const select = 'select v from n order by v'
  const first = db.prepare(select)
  t.equal(db.prepare(select), first, 'the same statement again')
  const rows = first.iterate([])
  rows.next()
  const during = db.prepare(select)
  t.not(during, first, 'a statement still iterating is not handed out')
  t.same(during.all([]), [{ v: 1 }, { v: 2 }])
  rows.return?.()
  t.equal(db.prepare(select), first, 'the cached one again once it is free')
  db.prepare('select 1')
  db.prepare('select 2')
  t.not(db.prepare(select), first, 'the least recently used statement was evicted')
  db.close()
  t.equal(raw.open, false, 'closing closes the database')
})
