import type { EventQueue } from './event-queue';

/** What an event of one kind does: its target (a vCPU, a VM, a load thread) and generation. */
export type EventHandler = (target: number, gen: number, time: number) => void;

/** The clock the engine moves, and its count of events handled. */
export interface Clock {
  now: number;
  events: number;
}

/**
 * The simulator's core, as SimPy keeps its own to the clock and the event heap: it pops events in
 * time order, moves the clock and hands each to the handler of its kind. What an event means is
 * the model's (HostModel registers one handler per HostEvent).
 */
export class Engine {
  constructor(
    readonly queue: EventQueue,
    private readonly clock: Clock,
    private readonly handlers: readonly EventHandler[],
  ) {}

  /** Handles every event up to `untilNs`; a later call continues where this one stopped. */
  advanceTo(untilNs: number): void {
    const q = this.queue;
    const clock = this.clock;
    const handlers = this.handlers;
    while (q.length > 0) {
      if (q.peekTime() > untilNs) break;
      q.pop();
      clock.now = q.time;
      clock.events++;
      handlers[q.kind]!(q.target, q.gen, q.time);
    }
    clock.now = untilNs;
  }
}
