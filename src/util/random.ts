// Seeded, serialisable random numbers: every random choice in the project (synthetic data, splits,
// augmentation, weight init) draws from one of these so runs are reproducible and resumable.

/** mulberry32-style 32-bit generator whose whole state is one integer (easy to checkpoint). */
export class Rng {
  private state: number;
  constructor(seed: number) {
    this.state = (seed >>> 0) ^ 0x9e3779b9;
    // Warm up so that nearby seeds diverge.
    for (let i = 0; i < 4; i++) this.nextUint32();
  }
  /** The generator's state, for checkpoints. */
  getState(): number {
    return this.state >>> 0;
  }
  setState(state: number): void {
    this.state = state >>> 0;
  }
  nextUint32(): number {
    let t = (this.state = (this.state + 0x6d2b79f5) | 0);
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return (t ^ (t >>> 14)) >>> 0;
  }
  /** Uniform in [0, 1). */
  next(): number {
    return this.nextUint32() / 4294967296;
  }
  uniform(lo: number, hi: number): number {
    return lo + (hi - lo) * this.next();
  }
  /** Integer in [lo, hi] inclusive. */
  int(lo: number, hi: number): number {
    return lo + Math.floor(this.next() * (hi - lo + 1));
  }
  /** Standard normal (Box–Muller). */
  normal(mean = 0, std = 1): number {
    const u = 1 - this.next();
    const v = this.next();
    return mean + std * Math.sqrt(-2 * Math.log(u)) * Math.cos(2 * Math.PI * v);
  }
  pick<T>(items: readonly T[]): T {
    return items[Math.floor(this.next() * items.length)];
  }
  /** Fisher–Yates shuffle in place. */
  shuffle<T>(items: T[]): T[] {
    for (let i = items.length - 1; i > 0; i--) {
      const j = Math.floor(this.next() * (i + 1));
      const tmp = items[i];
      items[i] = items[j];
      items[j] = tmp;
    }
    return items;
  }
  /** A child generator for a sub-task, so adding draws in one place does not shift another. */
  fork(salt: number): Rng {
    return new Rng((this.nextUint32() ^ Math.imul(salt + 1, 0x85ebca6b)) >>> 0);
  }
}
