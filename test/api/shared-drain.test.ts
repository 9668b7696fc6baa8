import t from 'tap'
import { SharedDrains, type DrainSource } from '../../src/api/shared-drain.js'

/** A paged source the test answers page by page: every fetch waits until `give`, `end` or `fail`. */
function manualSource () {
  const fetches: Array<{ resolve: (r: IteratorResult<number>) => void, reject: (err: unknown) => void }> = []
  const made = { starts: 0, fetches: 0, returns: 0, signal: undefined as AbortSignal | undefined }
  const start: DrainSource<number> = (signal) => {
    made.starts++
    made.signal = signal
    return {
      next: async () => await new Promise<IteratorResult<number>>((resolve, reject) => {
        made.fetches++
        signal.addEventListener('abort', () => { reject(signal.reason) }, { once: true })
        fetches.push({ resolve, reject })
      }),
      return: async () => { made.returns++; return { done: true, value: undefined } }
    }
  }
  const answer = (): { resolve: (r: IteratorResult<number>) => void, reject: (err: unknown) => void } => {
    const f = fetches.shift()
    if (f === undefined) throw new Error('no fetch is waiting')
    return f
  }
  return {
    start,
    made,
    pending: () => fetches.length,
    give: (page: number) => { answer().resolve({ done: false, value: page }) },
    end: () => { answer().resolve({ done: true, value: undefined }) },
    fail: (err: unknown) => { answer().reject(err) }
  }
}

/** Lets the drain's promise chains run. */
const settle = async (): Promise<void> => { for (let i = 0; i < 10; i++) await Promise.resolve() }

async function readAll (reader: AsyncIterableIterator<number>): Promise<number[]> {
  const got: number[] = []
  for await (const page of reader) got.push(page)
  return got
}

t.test('readers that join together share one drain and each get every page in order', async (t) => {
  const drains = new SharedDrains<number>({ bufferPages: 2 })
  const src = manualSource()
  const readers = [drains.join('s', src.start), drains.join('s', src.start), drains.join('s', src.start)]
  const all = Promise.all(readers.map(readAll))
  for (const page of [1, 2, 3, 4]) {
    await settle()
    src.give(page)
  }
  await settle()
  src.end()
  t.same(await all, [[1, 2, 3, 4], [1, 2, 3, 4], [1, 2, 3, 4]])
  t.equal(src.made.starts, 1, 'one drain')
  t.equal(src.made.fetches, 5, 'each page fetched once')
  t.same([...drains.state()], [], 'nothing runs once it ended')
  t.same(await readers[0].next(), { done: true, value: undefined }, 'an ended reader stays ended')
})

t.test('the slowest reader paces the drain; one that leaves no longer holds the others', async (t) => {
  const drains = new SharedDrains<number>({ bufferPages: 1 })
  const src = manualSource()
  const fast = drains.join('s', src.start)
  const slow = drains.join('s', src.start)
  await settle()
  src.give(1)
  t.same(await fast.next(), { done: false, value: 1 })
  await settle()
  t.equal(src.pending(), 0, 'no second fetch while the slow reader has a page waiting')
  t.match(drains.state().get('s'), { pages: 1, readers: 2, waitingForRoom: true, waiting: 0 })
  const fastNext = fast.next()
  t.same(await slow.next(), { done: false, value: 1 })
  await settle()
  t.equal(src.pending(), 1, 'the slow reader took its page: the drain goes on')
  src.give(2)
  t.same(await fastNext, { done: false, value: 2 })
  await settle()
  t.equal(src.pending(), 0)
  await slow.return()
  await settle()
  t.equal(src.pending(), 1, 'the slow reader left: the fast one is not held back')
  src.give(3)
  t.same(await fast.next(), { done: false, value: 3 })
  await settle()
  src.end()
  t.same(await fast.next(), { done: true, value: undefined })
  t.same(await slow.next(), { done: true, value: undefined }, 'a reader that left reads nothing more')
  t.same(await slow.return(), { done: true, value: undefined }, 'and may be closed twice')
})

t.test('the last reader to leave aborts the fetch and closes the source', async (t) => {
  const drains = new SharedDrains<number>({ bufferPages: 2 })
  const src = manualSource()
  const hangUp = new AbortController()
  const a = drains.join('s', src.start, hangUp.signal)
  const b = drains.join('s', src.start)
  await settle()
  src.give(1)
  await settle()
  const waiting = a.next()
  t.same(await waiting, { done: false, value: 1 })
  const pendingA = a.next()
  await settle()
  hangUp.abort(new Error('hung up'))
  await t.rejects(pendingA, { message: 'hung up' }, 'a pending read ends with the abort')
  await t.rejects(a.next(), { message: 'hung up' }, 'and every later one')
  t.equal(src.made.signal?.aborted, false, 'another reader is left: the drain goes on')
  const pendingB = b.next()
  t.same(await pendingB, { done: false, value: 1 })
  const lastB = b.next()
  await b.return()
  t.same(await lastB, { done: true, value: undefined }, 'leaving ends a pending read')
  await settle()
  t.equal(src.made.signal?.aborted, true, 'nobody reads: the fetch is aborted')
  t.equal(src.made.returns, 1, 'and the source closed')
  t.same([...drains.state()], [])

  const late = new AbortController()
  late.abort(new Error('gone before joining'))
  const gone = drains.join('s', src.start, late.signal)
  await t.rejects(gone.next(), { message: 'gone before joining' })
  await settle()
  t.equal(src.made.fetches, 2, 'a caller gone before it joined makes the new drain stop before any fetch')
  t.equal(src.made.returns, 2)
})

t.test('a late caller joins while the first page is kept, else waits for the next drain', async (t) => {
  const drains = new SharedDrains<number>({ bufferPages: 4 })
  const src = manualSource()
  const early = drains.join('s', src.start)
  await settle()
  src.give(1)
  await settle()
  const second = drains.join('s', src.start)
  t.same(await second.next(), { done: false, value: 1 }, 'joined after the first page arrived: it gets it')
  src.give(2)
  await settle()
  const late = drains.join('s', src.start)
  const later = drains.join('s', src.start)
  const leaving = drains.join('s', src.start)
  t.match(drains.state().get('s'), { pages: 2, readers: 2, waiting: 3 }, 'past the first page: the late ones wait')
  await leaving.return()
  t.equal(src.made.starts, 1, 'never two drains at once')
  const lateAll = Promise.all([readAll(late), readAll(later)])
  src.end()
  t.same(await readAll(early), [1, 2])
  t.same(await readAll(second), [2])
  await settle()
  t.equal(src.made.starts, 2, 'the next drain starts once the first ended')
  t.match(drains.state().get('s'), { pages: 0, readers: 2, waiting: 0 })
  src.give(7)
  await settle()
  src.end()
  t.same(await lateAll, [[7], [7]], 'the waiting callers share it')

  // Waiters that all leave before their drain starts leave nothing to start.
  const first = drains.join('s', src.start)
  await settle()
  src.give(1)
  await settle()
  src.give(2)
  await settle()
  const gone = drains.join('s', src.start)
  await gone.return()
  src.end()
  t.same(await readAll(first), [1, 2])
  await settle()
  t.equal(src.made.starts, 3, 'no drain for nobody')
  t.same([...drains.state()], [])
})

t.test('a failure reaches every reader after the pages it was given', async (t) => {
  const drains = new SharedDrains<number>({ bufferPages: 2 })
  const src = manualSource()
  const readers = [drains.join('s', src.start), drains.join('s', src.start)]
  await settle()
  src.give(1)
  await settle()
  src.fail(new Error('Apple failed'))
  for (const r of readers) {
    t.same(await r.next(), { done: false, value: 1 })
    await t.rejects(r.next(), { message: 'Apple failed' })
    t.same(await r.next(), { done: true, value: undefined })
  }

  const broken = drains.join('t', () => { throw new Error('cannot start') })
  await t.rejects(broken.next(), { message: 'cannot start' }, 'a source that cannot start fails its readers')
  t.same([...drains.state()], [])
})

t.test('drains of different keys are independent; a buffer is at least one page', async (t) => {
  const drains = new SharedDrains<number>({ bufferPages: 0 })
  const a = manualSource()
  const b = manualSource()
  const ra = drains.join('a', a.start)
  const rb = drains.join('b', b.start)
  await settle()
  t.equal(drains.state().size, 2)
  a.give(1)
  b.give(2)
  t.same(await ra.next(), { done: false, value: 1 })
  t.same(await rb.next(), { done: false, value: 2 })
  await ra.return()
  await rb.return()
})

t.test('a caller arriving after the last reader left (the fetch not yet cut) gets a new drain, not the abort', async (t) => {
  const drains = new SharedDrains<number>({ bufferPages: 2 })
  // A fetch that notices the abort only when the test says (as one waiting for Apple's session does).
  let releaseFirst: (() => void) | undefined
  let starts = 0
  const start: DrainSource<number> = (signal) => {
    starts++
    let page = 0
    return {
      next: async () => {
        if (starts === 1) {
          await new Promise<void>((resolve) => { releaseFirst = resolve })
          throw signal.reason
        }
        page++
        return page > 2 ? { done: true, value: undefined } : { done: false, value: page }
      }
    }
  }
  const first = drains.join('s', start)
  await settle()
  await first.return?.()
  const second = drains.join('s', start)
  t.match(drains.state().get('s'), { readers: 0, waiting: 1 }, 'the late caller waits for the next drain')
  releaseFirst?.()
  t.same(await readAll(second), [1, 2], 'it gets the whole list from a drain of its own')
  t.equal(starts, 2)
})
