/**
 * One live drain of a paged source per key at a time, shared by every caller reading it.
 *
 * A whole list from Apple costs one request per page at Apple and a page of memory per reader;
 * twelve callers asking at once used to run twelve drains. Here the callers of one key (a
 * server's client) read one drain:
 * - each reader gets every page exactly once, in order, from its own queue of at most
 *   `bufferPages` pages; the next page is fetched only when every reader's queue has room, so the
 *   slowest reader paces the drain and memory stays at a few pages whatever the fleet;
 * - a reader that leaves (hang-up, idle cut-off: its abort signal, or `return()`) no longer holds
 *   the others back; when the last reader leaves, the source is aborted and closed;
 * - a failure reaches every reader after the pages it was given before it.
 *
 * Who may join: a drain's pages cannot be replayed, so a caller may join only while the drain
 * still holds its first page (it has not fetched a second one): it gets that page, then the rest
 * with the others. A later caller waits for the current drain to end and shares the next one,
 * which every caller arriving meanwhile joins; so there is never more than one drain per key
 * running, and never more than one waiting.
 */

/** Starts the paged source; `signal` aborts a page being fetched once nobody reads any more. */
export type DrainSource<P> = (signal: AbortSignal) => AsyncIterator<P>

export interface SharedDrainsOptions {
  /** Pages a reader may have waiting before the drain waits for it (at least 1). */
  bufferPages: number
}

/** What a key's drains are doing, for tests and metrics. */
export interface DrainState {
  /** Pages the running drain has fetched so far. */
  pages: number
  /** Readers of the running drain. */
  readers: number
  /** The running drain waits for a reader to take a page before fetching the next. */
  waitingForRoom: boolean
  /** Readers waiting for the next drain. */
  waiting: number
}

/** A caller's view of a drain: its pages in order; `return()` leaves it. */
export interface DrainReader<P> extends AsyncIterableIterator<P> {
  return: () => Promise<IteratorResult<P>>
}

type Item<P> = { page: P } | { done: true } | { error: unknown }

class Reader<P> implements DrainReader<P> {
  readonly queue: Array<Item<P>> = []
  private waiter: { resolve: (r: IteratorResult<P>) => void, reject: (err: unknown) => void } | undefined
  private ended: boolean

  constructor (private readonly drain: Drain<P>, private readonly signal: AbortSignal | undefined) {
    // A caller that hung up before it joined never reads: it ends at once.
    this.ended = signal?.aborted === true
    signal?.addEventListener('abort', () => { this.leave(signal.reason) }, { once: true })
  }

  get leftOrEnded (): boolean { return this.ended }

  push (item: Item<P>): void {
    const waiter = this.waiter
    if (waiter === undefined) {
      this.queue.push(item)
      return
    }
    this.waiter = undefined
    this.settle(item, waiter.resolve, waiter.reject)
  }

  private settle (item: Item<P>, resolve: (r: IteratorResult<P>) => void, reject: (err: unknown) => void): void {
    if ('page' in item) return resolve({ done: false, value: item.page })
    this.leave()
    if ('error' in item) return reject(item.error)
    resolve({ done: true, value: undefined })
  }

  async next (): Promise<IteratorResult<P>> {
    if (this.signal?.aborted === true) throw this.signal.reason
    const item = this.queue.shift()
    if (item !== undefined) {
      this.drain.poke()
      return await new Promise((resolve, reject) => { this.settle(item, resolve, reject) })
    }
    if (this.ended) return { done: true, value: undefined }
    return await new Promise((resolve, reject) => { this.waiter = { resolve, reject } })
  }

  async return (): Promise<IteratorResult<P>> {
    this.leave()
    return { done: true, value: undefined }
  }

  [Symbol.asyncIterator] (): this { return this }

  /** Leaves the drain; a pending `next()` ends, with `reason` when there is one (an abort). */
  leave (reason?: unknown): void {
    if (this.ended) return
    this.ended = true
    this.queue.length = 0
    this.drain.remove(this)
    const waiter = this.waiter
    this.waiter = undefined
    if (waiter === undefined) return
    if (reason === undefined) waiter.resolve({ done: true, value: undefined })
    else waiter.reject(reason)
  }
}

class Drain<P> {
  readonly readers = new Set<Reader<P>>()
  pages = 0
  started = false
  finished = false
  waitingForRoom = false
  /** Kept while late callers may still join (until a second page is fetched). */
  private first: P | undefined
  private readonly aborter = new AbortController()
  private wake: (() => void) | undefined

  constructor (private readonly bufferPages: number, private readonly onFinish: () => void) {}

  // Once aborted (its last reader left) it is ending: a caller arriving before the fetch notices must
  // not join it and inherit the abort as its own failure; it waits for the next drain.
  get joinable (): boolean { return !this.finished && !this.aborter.signal.aborted && this.pages <= 1 }

  add (signal: AbortSignal | undefined): Reader<P> {
    const reader = new Reader(this, signal)
    if (reader.leftOrEnded) return reader
    this.readers.add(reader)
    if (this.first !== undefined) reader.push({ page: this.first })
    return reader
  }

  remove (reader: Reader<P>): void {
    // A reader leaves once (Reader.leave): it is in the set.
    this.readers.delete(reader)
    // Nobody left to read: cut the page being fetched now instead of waiting for it.
    if (this.readers.size === 0 && this.started) this.aborter.abort()
    this.poke()
  }

  /** A reader took a page or left: the drain may have room to go on. */
  poke (): void {
    const wake = this.wake
    this.wake = undefined
    wake?.()
  }

  private hasRoom (): boolean {
    for (const r of this.readers) if (r.queue.length >= this.bufferPages) return false
    return true
  }

  private send (item: Item<P>): void {
    for (const r of [...this.readers]) r.push(item)
  }

  /** Never rejects: every failure goes to the readers. */
  async run (start: DrainSource<P>): Promise<void> {
    this.started = true
    let source: AsyncIterator<P> | undefined
    try {
      source = start(this.aborter.signal)
      for (;;) {
        while (this.readers.size > 0 && !this.hasRoom()) {
          this.waitingForRoom = true
          await new Promise<void>((resolve) => { this.wake = resolve })
          this.waitingForRoom = false
        }
        if (this.readers.size === 0) break
        const step = await source.next()
        if (step.done === true) {
          this.send({ done: true })
          break
        }
        this.pages++
        this.first = this.pages === 1 ? step.value : undefined
        this.send({ page: step.value })
      }
    } catch (err) {
      // Readers that left meanwhile (the abort that ended a fetch nobody waits for) get nothing.
      this.send({ error: err })
    } finally {
      this.finished = true
      this.first = undefined
      this.onFinish()
      // After the source threw or ended this does nothing; after the last reader left it closes the
      // source. Settled, never thrown: run() is started without anyone awaiting it.
      await Promise.allSettled([source?.return?.()])
    }
  }
}

interface Slot<P> {
  current: Drain<P>
  /** The drain late callers wait for, with the source it will start. */
  next?: { drain: Drain<P>, start: DrainSource<P> }
}

export class SharedDrains<P> {
  private readonly slots = new Map<unknown, Slot<P>>()
  private readonly bufferPages: number

  constructor (opts: SharedDrainsOptions) {
    this.bufferPages = Math.max(1, opts.bufferPages)
  }

  /**
   * A reader of `key`'s drain: the running one if it may still be joined, else the next one,
   * started (with `start`) when the running one ends. Leave with `return()` or by aborting `signal`.
   */
  join (key: unknown, start: DrainSource<P>, signal?: AbortSignal): DrainReader<P> {
    const slot = this.slots.get(key)
    if (slot === undefined) {
      const drain = this.drain(key)
      this.slots.set(key, { current: drain })
      const reader = drain.add(signal)
      drain.run(start)
      return reader
    }
    if (slot.current.joinable) return slot.current.add(signal)
    slot.next ??= { drain: this.drain(key), start }
    return slot.next.drain.add(signal)
  }

  /** Per key with a drain running. */
  state (): Map<unknown, DrainState> {
    const states = new Map<unknown, DrainState>()
    for (const [key, slot] of this.slots) {
      const { pages, readers, waitingForRoom } = slot.current
      states.set(key, { pages, readers: readers.size, waitingForRoom, waiting: slot.next?.drain.readers.size ?? 0 })
    }
    return states
  }

  private drain (key: unknown): Drain<P> {
    return new Drain<P>(this.bufferPages, () => { this.ended(key) })
  }

  private ended (key: unknown): void {
    // Only a slot's current drain runs, and it ends once: `drain` is this slot's current one.
    const slot = this.slots.get(key) as Slot<P>
    const next = slot.next
    // Waiters that all hung up meanwhile leave nothing to start.
    if (next === undefined || next.drain.readers.size === 0) {
      this.slots.delete(key)
      return
    }
    this.slots.set(key, { current: next.drain })
    next.drain.run(next.start)
  }
}
