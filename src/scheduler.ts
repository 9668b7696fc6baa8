/**
 * Time and chance for background work, behind one small interface so that tests drive them: every
 * loop that waits (the mirror's syncers and reconcile loop, long-poll timeouts, token-health checks
 * and webhook retries, and the engines to come) asks a Scheduler for the time, a timer or a random
 * number instead of calling Date.now, setTimeout, setInterval or Math.random itself.
 *
 * `realScheduler` is the process's clock, with unref'd timers (a pending tick never keeps the
 * process alive; close hooks cancel them anyway). `ManualScheduler` is a clock that only moves when
 * told: `advance(ms)` runs the timers that fall due, in due order, and waits for each callback's
 * promise, so once it resolves the work those timers started is finished, not merely begun.
 */

/** Cancels a timer; calling it again, or after the timer ran, does nothing. */
export type Cancel = () => void

/** The Cancel of a timer not armed yet (a loop's initial state). */
export const nothingToCancel: Cancel = () => {}

/** A timer's callback; a returned promise is awaited by ManualScheduler (the real one ignores it, so handle errors inside). */
export type TimerCallback = () => unknown

export interface Scheduler {
  /** ms since the epoch. */
  now (): number
  /** Runs `fn` once, `ms` from now. */
  after (ms: number, fn: TimerCallback): Cancel
  /** Runs `fn` every `ms`, first `ms` from now. */
  every (ms: number, fn: TimerCallback): Cancel
  /** A number in [0, 1) (backoff jitter). */
  random (): number
}

export const realScheduler: Scheduler = {
  now: Date.now,
  after (ms, fn) {
    const timer = setTimeout(fn, ms).unref()
    return () => { clearTimeout(timer) }
  },
  every (ms, fn) {
    const timer = setInterval(fn, ms).unref()
    return () => { clearInterval(timer) }
  },
  random: Math.random
}

/** Resolves `ms` from now on `scheduler`'s clock; rejects with the signal's reason when it aborts first. */
export async function delay (scheduler: Scheduler, ms: number, signal?: AbortSignal): Promise<void> {
  signal?.throwIfAborted()
  await new Promise<void>((resolve, reject) => {
    const onAbort = (): void => {
      cancel()
      reject(signal?.reason)
    }
    const cancel = scheduler.after(ms, () => {
      signal?.removeEventListener('abort', onAbort)
      resolve()
    })
    signal?.addEventListener('abort', onAbort, { once: true })
  })
}

interface Timer {
  id: number
  dueAt: number
  fn: TimerCallback
  /** Set for `every`: the period it is re-armed with. */
  periodMs?: number
}

export interface ManualSchedulerOptions {
  /** The clock's start (default the real time at construction, so stored timestamps stay plausible). */
  start?: number
  /** Default 0.5: the middle of any jitter, the same every run. */
  random?: () => number
}

/** A clock for tests: time stands still until `advance` or `next` moves it. */
export class ManualScheduler implements Scheduler {
  private current: number
  private readonly timers = new Map<number, Timer>()
  private nextId = 0
  private readonly waiters = new Set<() => void>()
  readonly random: () => number

  constructor (opts: ManualSchedulerOptions = {}) {
    this.current = opts.start ?? Date.now()
    this.random = opts.random ?? (() => 0.5)
  }

  now (): number {
    return this.current
  }

  after (ms: number, fn: TimerCallback): Cancel {
    return this.add({ id: this.nextId++, dueAt: this.current + Math.max(0, ms), fn })
  }

  every (ms: number, fn: TimerCallback): Cancel {
    // A period of 0 would run forever within one advance: the real setInterval treats it as 1 ms too.
    const periodMs = Math.max(1, ms)
    return this.add({ id: this.nextId++, dueAt: this.current + periodMs, fn, periodMs })
  }

  /** Timers armed and not yet run or cancelled. */
  get pending (): number {
    return this.timers.size
  }

  /**
   * Moves the clock `ms` forward, running every timer due by then in due order (ties in the order
   * they were armed), each at its own due time, and waiting for its callback. Timers armed by those
   * callbacks run too when they fall due within the same advance.
   */
  async advance (ms: number): Promise<void> {
    const target = this.current + ms
    for (let timer = this.first(); timer !== undefined && timer.dueAt <= target; timer = this.first()) await this.run(timer)
    // An advance made meanwhile (while this one waited on a callback) may have gone further.
    this.current = Math.max(this.current, target)
  }

  /**
   * Waits until a timer is armed (background work that is still busy with I/O arms its next one
   * when done), moves the clock to the earliest and runs it. Returns the time it ran at.
   */
  async next (): Promise<number> {
    // One turn of the event loop first: I/O that is about to arm an earlier timer gets to run, and
    // a loop of `next` calls (settle) cannot starve the process of I/O with microtasks alone.
    await new Promise((resolve) => setImmediate(resolve))
    while (this.timers.size === 0) await new Promise<void>((resolve) => this.waiters.add(resolve))
    const timer = this.first() as Timer
    await this.run(timer)
    return timer.dueAt
  }

  /**
   * Runs timers one at a time (as `next` does) until `work` settles, and returns its outcome: for
   * work that waits on this clock while other timers (someone else's ticks) must run to finish it.
   */
  async settle<T> (work: Promise<T>): Promise<T> {
    const state = { settled: false }
    const done = (): void => { state.settled = true }
    work.then(done, done)
    while (!state.settled) await this.next()
    return await work
  }

  private add (timer: Timer): Cancel {
    this.timers.set(timer.id, timer)
    for (const wake of this.waiters) wake()
    this.waiters.clear()
    return () => { this.timers.delete(timer.id) }
  }

  private first (): Timer | undefined {
    let first: Timer | undefined
    for (const t of this.timers.values()) if (first === undefined || t.dueAt < first.dueAt) first = t
    return first
  }

  private async run (timer: Timer): Promise<void> {
    this.current = Math.max(this.current, timer.dueAt)
    if (timer.periodMs === undefined) this.timers.delete(timer.id)
    else timer.dueAt += timer.periodMs
    await timer.fn()
  }
}
