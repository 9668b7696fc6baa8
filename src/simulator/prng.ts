/** mulberry32: tiny, fast and good enough to make the generated world reproducible from a seed. */
export class Prng {
  private state: number

  constructor (seed: number) {
    this.state = seed >>> 0
  }

  /** A float in [0, 1). */
  next (): number {
    this.state = (this.state + 0x6d2b79f5) >>> 0
    let t = this.state
    t = Math.imul(t ^ (t >>> 15), t | 1)
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61)
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296
  }

  int (maxExclusive: number): number {
    return Math.floor(this.next() * maxExclusive)
  }

  pick<T> (items: readonly T[]): T {
    return items[this.int(items.length)]
  }

  chance (p: number): boolean {
    return this.next() < p
  }

  chars (alphabet: string, n: number): string {
    let out = ''
    for (let i = 0; i < n; i++) out += alphabet[this.int(alphabet.length)]
    return out
  }

  hex (n: number): string {
    return this.chars('0123456789ABCDEF', n)
  }
}
