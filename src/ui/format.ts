/** How the dashboard writes numbers and times: the same words on every page. */

const NUMBER = new Intl.NumberFormat('en-US')

export const count = (n: number): string => NUMBER.format(n)

/** "3 d 4 h", "12 min", "45 s": the age or time left of `ms`, its two largest units. */
export function duration (ms: number): string {
  const s = Math.round(Math.abs(ms) / 1000)
  const units: Array<[string, number]> = [['d', 86_400], ['h', 3_600], ['min', 60], ['s', 1]]
  const parts: string[] = []
  let rest = s
  for (const [name, size] of units) {
    const n = Math.floor(rest / size)
    if (n > 0 || (parts.length === 0 && size === 1)) parts.push(`${n} ${name}`)
    rest -= n * size
    if (parts.length === 2) break
  }
  return parts.join(' ')
}

/** "2026-12-07 19:50 UTC": a readable instant that sorts and says its zone. */
export function instant (iso: string | null | undefined): string {
  if (iso === null || iso === undefined) return '—'
  const d = new Date(iso)
  return `${d.toISOString().slice(0, 16).replace('T', ' ')} UTC`
}
