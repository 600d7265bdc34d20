/**
 * Binary min-heap of events on typed arrays: time (integer ns), then push order, so equal times pop
 * in the order they were pushed (determinism). The push order is (the simulated time it was pushed
 * at, a sequence number): the same order as the sequence alone, since pushes happen at the time of
 * the last pop, which never goes back — and a merged event (`pushAs`) can take the order it would
 * have had if pushed at another time. An event is (kind, target, generation), and each
 * (kind, target) — a vCPU's guest step, its PLE window, its timer — has at most one pending event:
 * pushing another replaces it in place, with the new time and a new push order. A model therefore
 * never pops an event it has superseded (in the paper's stock-5.6 runs four in ten pops were such),
 * and the heap holds one slot per (kind, target) at most, so it never grows or allocates. The
 * model still ignores a pending event whose generation went stale without a new push.
 */
export class EventQueue {
  /** Per kind, its first slot; a slot is one (kind, target). */
  private readonly firstSlot: Int32Array;
  private readonly targets: Int32Array;
  private readonly slotKind: Int32Array;
  private readonly slotTarget: Int32Array;
  /** Per slot: the pending event's time, push order and generation, and its heap index (−1: none). */
  private readonly times: Float64Array;
  private readonly orderAt: Float64Array;
  private readonly orders: Float64Array;
  private readonly gens: Int32Array;
  private readonly pos: Int32Array;
  /** The heap of slots. */
  private readonly heap: Int32Array;
  private size = 0;
  private pushed = 0;

  /** Fields of the event last returned by pop(). */
  time = 0;
  kind = 0;
  target = 0;
  gen = 0;
  private poppedAt = 0;
  private poppedSeq = -1;

  /** `targets[k]`: how many targets events of kind k can have (their targets are 0 … targets[k] − 1). */
  constructor(targets: readonly number[]) {
    this.firstSlot = new Int32Array(targets.length);
    this.targets = Int32Array.from(targets);
    const slots = targets.reduce((a, n) => a + n, 0);
    this.slotKind = new Int32Array(slots);
    this.slotTarget = new Int32Array(slots);
    let slot = 0;
    targets.forEach((n, kind) => {
      this.firstSlot[kind] = slot;
      for (let t = 0; t < n; t++, slot++) {
        this.slotKind[slot] = kind;
        this.slotTarget[slot] = t;
      }
    });
    this.times = new Float64Array(slots);
    this.orderAt = new Float64Array(slots);
    this.orders = new Float64Array(slots);
    this.gens = new Int32Array(slots);
    this.pos = new Int32Array(slots).fill(-1);
    this.heap = new Int32Array(slots);
  }

  get length(): number {
    return this.size;
  }

  /** Time of the earliest event (the queue must not be empty). */
  peekTime(): number {
    return this.times[this.heap[0]!]!;
  }

  /** Schedules (kind, target) at `time`, replacing its pending event if it has one. */
  push(time: number, kind: number, target: number, gen: number): void {
    this.pushAs(time, kind, target, gen, this.time, this.pushed++);
  }

  /** The sequence number a push now would take, kept for a later `pushAs`. */
  reserveOrder(): number {
    return this.pushed++;
  }

  /**
   * Schedules (kind, target) at `time` in the push order of an event pushed at simulated time `pushedAt`
   * with sequence number `seq` (one `reserveOrder` gave): where equal times pop, it pops as that
   * push would have.
   */
  pushAs(time: number, kind: number, target: number, gen: number, pushedAt: number, seq: number): void {
    if (target < 0 || target >= this.targets[kind]!)
      throw new Error(`event kind ${kind} has no target ${target}`);
    const slot = this.firstSlot[kind]! + target;
    const oldTime = this.times[slot]!;
    const oldAt = this.orderAt[slot]!;
    const later =
      time > oldTime ||
      (time === oldTime && (pushedAt > oldAt || (pushedAt === oldAt && seq >= this.orders[slot]!)));
    this.times[slot] = time;
    this.orderAt[slot] = pushedAt;
    this.orders[slot] = seq;
    this.gens[slot] = gen;
    const at = this.pos[slot]!;
    if (at < 0) this.siftUp(slot, this.size++);
    // A replaced event moves down when it is not earlier than it was, else up.
    else if (later) this.siftDown(slot, at);
    else this.siftUp(slot, at);
  }

  /**
   * Whether the event last popped came before an event at the same time pushed in the order
   * (`pushedAt`, `seq`): which of two events at one nanosecond happened first.
   */
  poppedBefore(pushedAt: number, seq: number): boolean {
    return this.poppedAt < pushedAt || (this.poppedAt === pushedAt && this.poppedSeq < seq);
  }

  /** Removes the earliest event into time/kind/target/gen; false when empty. */
  pop(): boolean {
    if (this.size === 0) return false;
    const slot = this.heap[0]!;
    this.time = this.times[slot]!;
    this.kind = this.slotKind[slot]!;
    this.target = this.slotTarget[slot]!;
    this.gen = this.gens[slot]!;
    this.poppedAt = this.orderAt[slot]!;
    this.poppedSeq = this.orders[slot]!;
    this.pos[slot] = -1;
    const last = --this.size;
    if (last > 0) this.siftDown(this.heap[last]!, 0);
    return true;
  }

  private before(a: number, b: number): boolean {
    const ta = this.times[a]!;
    const tb = this.times[b]!;
    if (ta !== tb) return ta < tb;
    const oa = this.orderAt[a]!;
    const ob = this.orderAt[b]!;
    return oa < ob || (oa === ob && this.orders[a]! < this.orders[b]!);
  }

  /** Places `slot` at heap index `i` or above, moving parents down until it fits. */
  private siftUp(slot: number, i: number): void {
    while (i > 0) {
      const parent = (i - 1) >> 1;
      const p = this.heap[parent]!;
      if (this.before(p, slot)) break;
      this.heap[i] = p;
      this.pos[p] = i;
      i = parent;
    }
    this.heap[i] = slot;
    this.pos[slot] = i;
  }

  /** Places `slot` at heap index `i` or below, moving the earlier child up until it fits. */
  private siftDown(slot: number, i: number): void {
    const n = this.size;
    while (true) {
      let child = 2 * i + 1;
      if (child >= n) break;
      if (child + 1 < n && this.before(this.heap[child + 1]!, this.heap[child]!)) child++;
      const c = this.heap[child]!;
      if (this.before(slot, c)) break;
      this.heap[i] = c;
      this.pos[c] = i;
      i = child;
    }
    this.heap[i] = slot;
    this.pos[slot] = i;
  }
}
