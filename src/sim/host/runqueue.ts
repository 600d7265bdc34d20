import type { Thread } from './thread';

/**
 * One pCPU's runqueue. `threads` holds every runnable thread, the running one (`curr`) included:
 * CFS in 5.6 puts the previous task back in the tree before it picks, so the pick sees them all.
 */
export class RunQueue {
  readonly threads: Thread[] = [];
  curr: Thread | null = null;
  /** CFS min_vruntime: monotonic floor for placing woken and migrated entities. */
  minVruntime = 0;
  /** Buddies (cfs_rq->next/last/skip): hints that bend the next pick. */
  next: Thread | null = null;
  last: Thread | null = null;
  skip: Thread | null = null;
  /** A reschedule was requested (resched_curr) and not yet done. */
  needResched = false;
  busyNs = 0;
  idleSinceNs = 0;

  constructor(readonly cpu: number) {}

  add(t: Thread): void {
    this.threads.push(t);
  }

  remove(t: Thread): void {
    const i = this.threads.indexOf(t);
    if (i >= 0) {
      this.threads[i] = this.threads[this.threads.length - 1]!;
      this.threads.pop();
    }
    if (this.next === t) this.next = null;
    if (this.last === t) this.last = null;
    if (this.skip === t) this.skip = null;
  }

  /** Runnable threads that are not running: what a load balancer may pull. */
  waiting(): number {
    return this.threads.length - (this.curr ? 1 : 0);
  }
}

/** entity_before(): smaller vruntime first; thread id breaks ties so runs stay deterministic. */
export function entityBefore(a: Thread, b: Thread): boolean {
  return a.vruntime < b.vruntime || (a.vruntime === b.vruntime && a.id < b.id);
}
