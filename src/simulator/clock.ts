/**
 * The simulator's notion of now: an injectable base clock plus an offset the control API can advance.
 * The offset is Apple's time (cursor expiry, session TTL); the base stays the wall clock, which is
 * what a client outside the process signs its OAuth timestamps with.
 */
export class SimClock {
  private offsetMs = 0

  constructor (private readonly base: () => number = Date.now) {}

  now (): number {
    return this.base() + this.offsetMs
  }

  /** The base clock without the control offset. */
  wall (): number {
    return this.base()
  }

  advance (ms: number): void {
    this.offsetMs += ms
  }
}

/** Apple's timestamps: ISO-8601 UTC with second precision (docs/apple-dep.md §2.15.1). */
export function isoSeconds (ms: number): string {
  return `${new Date(ms).toISOString().slice(0, 19)}Z`
}
