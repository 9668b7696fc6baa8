/**
 * When a failed delivery is tried again: 5 s, 5 min, 30 min, 2 h, 5 h, then every 10 h, each with
 * ±10 % jitter (receivers that failed together are not all retried in the same second), and never
 * sooner than the receiver's Retry-After (at most 10 h is honoured). After GIVE_UP_MS of failures
 * from a delivery's first attempt, the subscription is disabled. DEPGATE_WEBHOOK_RETRY_DELAYS
 * replaces the schedule (a lab that wants a receiver's comeback noticed within seconds); the give-up
 * time stays 3 days.
 */
const SECOND = 1000
const MINUTE = 60 * SECOND
const HOUR = 60 * MINUTE

export const RETRY_DELAYS_MS = [5 * SECOND, 5 * MINUTE, 30 * MINUTE, 2 * HOUR, 5 * HOUR, 10 * HOUR] as const
export const GIVE_UP_MS = 3 * 24 * HOUR
const MAX_DELAY_MS = 10 * HOUR

/** The delay after the `failures`-th failed attempt (1-based); `random` in [0, 1); the schedule's last delay repeats. */
export function retryDelayMs (failures: number, random: number, retryAfterMs?: number, schedule: readonly number[] = RETRY_DELAYS_MS): number {
  const base = schedule[Math.min(failures, schedule.length) - 1]
  const jittered = Math.round(base * (0.9 + 0.2 * random))
  return Math.max(jittered, Math.min(retryAfterMs ?? 0, MAX_DELAY_MS))
}

/** Retry-After as delay seconds or an HTTP date, in ms from `now`; undefined when absent or unreadable. */
export function parseRetryAfter (text: string | undefined, now: number): number | undefined {
  if (text === undefined || text.trim() === '') return undefined
  if (/^\d+$/.test(text.trim())) return Number(text.trim()) * SECOND
  const at = Date.parse(text)
  return Number.isNaN(at) ? undefined : Math.max(0, at - now)
}

/** Most delays a DEPGATE_WEBHOOK_RETRY_DELAYS schedule may list. */
const MAX_SCHEDULE = 20

/**
 * DEPGATE_WEBHOOK_RETRY_DELAYS: comma-separated whole seconds, each 1 to 36000 (10 h), at most 20;
 * in ms, or undefined when the text is not such a list.
 */
export function parseRetryDelays (text: string): number[] | undefined {
  const parts = text.split(',').map((p) => p.trim())
  if (parts.length > MAX_SCHEDULE || !parts.every((p) => /^\d+$/.test(p))) return undefined
  const delays = parts.map((p) => Number(p) * SECOND)
  return delays.every((d) => d >= SECOND && d <= MAX_DELAY_MS) ? delays : undefined
}
