/**
 * Apple's answers as the engine records them, counted per server, so that a backfill job on the
 * same replica looks at the outbox right after a batch's outcomes are written instead of at its
 * next poll. The count is read before each look and waited past after it, so an answer written
 * in between is not missed. The engine of another replica is not heard here: the job's poll
 * interval bounds the wait then.
 */
import type { Scheduler } from '../scheduler.js'

export class AnswerCounter {
  private readonly counts = new Map<string, number>()
  private readonly waiters = new Map<string, Set<() => void>>()

  /** Answers recorded for `server` so far. */
  count (server: string): number {
    return this.counts.get(server) ?? 0
  }

  /** The engine recorded an answer for `server`: wakes whoever waits for it. */
  answered (server: string): void {
    this.counts.set(server, this.count(server) + 1)
    for (const wake of this.waiters.get(server) ?? []) wake()
  }

  /**
   * Resolves once `server` has more than `seen` answers, or `ms` from now on `scheduler`'s clock,
   * whichever is first; rejects with the signal's reason when it aborts first.
   */
  async wait (scheduler: Scheduler, server: string, seen: number, ms: number, signal: AbortSignal): Promise<void> {
    signal.throwIfAborted()
    if (this.count(server) > seen) return
    const waiters = this.waiters.get(server) ?? new Set()
    this.waiters.set(server, waiters)
    await new Promise<void>((resolve, reject) => {
      const settle = (): void => {
        cancel()
        waiters.delete(wake)
        if (waiters.size === 0) this.waiters.delete(server)
        signal.removeEventListener('abort', onAbort)
      }
      const wake = (): void => { settle(); resolve() }
      const onAbort = (): void => { settle(); reject(signal.reason) }
      const cancel = scheduler.after(ms, wake)
      waiters.add(wake)
      signal.addEventListener('abort', onAbort, { once: true })
    })
  }
}
