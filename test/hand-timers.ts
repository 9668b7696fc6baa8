/**
 * Timers that fire only when the test says so (the whole-list idle timers of
 * plugins/app/stream-limits.ts, given to buildTestApp as `streamTimers`).
 */
export function handTimers () {
  const armed = new Set<{ fn: () => void }>()
  return {
    timers: {
      setTimeout: (fn: () => void) => { const h = { fn }; armed.add(h); return h },
      clearTimeout: (h: unknown) => { armed.delete(h as { fn: () => void }) }
    },
    /** Fires every timer armed now: each list waiting on its reader has been idle "long enough". */
    fireAll: () => { for (const h of [...armed]) { armed.delete(h); h.fn() } }
  }
}
