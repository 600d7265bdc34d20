/**
 * Binary min-heap of events on typed arrays: time (integer ns), then insertion order, so equal
 * times pop in the order they were pushed (determinism). No allocation per event: arrays double
 * when full. An event is (kind, target, generation); the model ignores an event whose generation
 * is stale, which is how a pending event is cancelled without searching the heap.
 */
export class EventQueue {
  private times: Float64Array;
  private orders: Float64Array;
  private kinds: Int32Array;
  private targets: Int32Array;
  private gens: Int32Array;
  private size = 0;
  private pushed = 0;

  /** Fields of the event last returned by pop(). */
  time = 0;
  kind = 0;
  target = 0;
  gen = 0;

  constructor(capacity = 1024) {
    this.times = new Float64Array(capacity);
    this.orders = new Float64Array(capacity);
    this.kinds = new Int32Array(capacity);
    this.targets = new Int32Array(capacity);
    this.gens = new Int32Array(capacity);
  }

  get length(): number {
    return this.size;
  }

  /** Time of the earliest event (the queue must not be empty). */
  peekTime(): number {
    return this.times[0]!;
  }

  push(time: number, kind: number, target: number, gen: number): void {
    if (this.size === this.times.length) this.grow();
    const order = this.pushed++;
    let i = this.size++;
    // Sift up: move parents down until the slot fits.
    while (i > 0) {
      const parent = (i - 1) >> 1;
      const pt = this.times[parent]!;
      if (pt < time || (pt === time && this.orders[parent]! < order)) break;
      this.move(parent, i);
      i = parent;
    }
    this.times[i] = time;
    this.orders[i] = order;
    this.kinds[i] = kind;
    this.targets[i] = target;
    this.gens[i] = gen;
  }

  /** Removes the earliest event into time/kind/target/gen; false when empty. */
  pop(): boolean {
    if (this.size === 0) return false;
    this.time = this.times[0]!;
    this.kind = this.kinds[0]!;
    this.target = this.targets[0]!;
    this.gen = this.gens[0]!;
    const last = --this.size;
    if (last === 0) return true;
    const time = this.times[last]!;
    const order = this.orders[last]!;
    let i = 0;
    // Sift down the former last element from the root.
    while (true) {
      let child = 2 * i + 1;
      if (child >= last) break;
      const right = child + 1;
      if (
        right < last &&
        (this.times[right]! < this.times[child]! ||
          (this.times[right] === this.times[child] && this.orders[right]! < this.orders[child]!))
      )
        child = right;
      const ct = this.times[child]!;
      if (time < ct || (time === ct && order < this.orders[child]!)) break;
      this.move(child, i);
      i = child;
    }
    this.times[i] = time;
    this.orders[i] = order;
    this.kinds[i] = this.kinds[last]!;
    this.targets[i] = this.targets[last]!;
    this.gens[i] = this.gens[last]!;
    return true;
  }

  private move(from: number, to: number): void {
    this.times[to] = this.times[from]!;
    this.orders[to] = this.orders[from]!;
    this.kinds[to] = this.kinds[from]!;
    this.targets[to] = this.targets[from]!;
    this.gens[to] = this.gens[from]!;
  }

  private grow(): void {
    const n = this.times.length * 2;
    const grow64 = (a: Float64Array) => {
      const b = new Float64Array(n);
      b.set(a);
      return b;
    };
    const grow32 = (a: Int32Array) => {
      const b = new Int32Array(n);
      b.set(a);
      return b;
    };
    this.times = grow64(this.times);
    this.orders = grow64(this.orders);
    this.kinds = grow32(this.kinds);
    this.targets = grow32(this.targets);
    this.gens = grow32(this.gens);
  }
}
