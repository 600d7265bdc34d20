import { fnv1a } from './fnv1a';

/**
 * Seeded PRNG (sfc32, seeded through splitmix32). A model run draws from several, each derived from
 * the run's seed (`Rng.stream`), so the same scenario and seed give byte-identical results.
 */
export class Rng {
  /**
   * The stream named `key` of a run seeded `seed`: what one part of the model draws (one vCPU's
   * guest, one host load thread), so its draws do not shift when another part draws more or less.
   */
  static stream(seed: number, key: string): Rng {
    return new Rng((Math.imul(seed >>> 0, 0x9e3779b1) ^ fnv1a(key)) >>> 0);
  }

  private a: number;
  private b: number;
  private c: number;
  private d: number;

  constructor(seed: number) {
    let s = seed >>> 0;
    const next = () => {
      s = (s + 0x9e3779b9) | 0;
      let z = s;
      z = Math.imul(z ^ (z >>> 16), 0x85ebca6b);
      z = Math.imul(z ^ (z >>> 13), 0xc2b2ae35);
      return (z ^ (z >>> 16)) >>> 0;
    };
    this.a = next();
    this.b = next();
    this.c = next();
    this.d = next();
    for (let i = 0; i < 12; i++) this.uint32();
  }

  uint32(): number {
    const t = (((this.a + this.b) | 0) + this.d) | 0;
    this.d = (this.d + 1) | 0;
    this.a = this.b ^ (this.b >>> 9);
    this.b = (this.c + (this.c << 3)) | 0;
    this.c = (this.c << 21) | (this.c >>> 11);
    this.c = (this.c + t) | 0;
    return t >>> 0;
  }

  /** Uniform in [0, 1). */
  uniform(): number {
    return this.uint32() / 4294967296;
  }

  /** Uniform integer in [0, n). */
  int(n: number): number {
    return Math.floor(this.uniform() * n);
  }

  /** Exponentially distributed integer ns with the given mean (at least 1). */
  exponentialNs(meanNs: number): number {
    return Math.max(1, Math.round(-Math.log(1 - this.uniform()) * meanNs));
  }
}
