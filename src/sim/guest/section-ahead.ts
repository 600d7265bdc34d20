import { HostEvent } from '../host/host-event';
import type { Host } from '../host/ports';
import { Activity, type Vcpu } from '../kvm/vcpu';
import { drawSegment } from './segment';

/**
 * An uncontended critical section run ahead: one event instead of two. Most of a guest's lock
 * operations take a free lock, hold it for microseconds and release it before anyone else looks
 * (on four of the bench's fleet nodes, 45 % of all events were such a section's end). So when a vCPU
 * takes a free lock nobody waits for, the section's end gets no event of its own: the compute
 * segment after it is drawn at once (from the vCPU's own demand stream, the same draws in the same
 * order as at the section's end), and the one event pushed is that segment's end. The section is
 * settled when something looks before that event: at or after its end it ended unseen (the lock
 * released, the segment begun, as the end event would have done); before its end — another vCPU
 * wants the lock, the vCPU is preempted or interrupted — it gets back its own end event, in the
 * push order it took when it began, and runs on as any other.
 *
 * The run is the same, event for event, but where two events fall on one nanosecond twice: the
 * segment's end event is ordered as if pushed at the section's end, before every other event
 * pushed at that nanosecond.
 */
export function canRunAhead(h: Host, v: Vcpu): boolean {
  return (
    h.sectionsAhead &&
    v.burstLeftNs > 0 &&
    v.mutex < 0 &&
    v.handlerQueue.length === 0 &&
    h.vms[v.vm]!.lockWaiters[v.lock]!.length === 0
  );
}

/** Runs `v`'s critical section, just begun (its hold in `remainingNs`), ahead. */
export function runAhead(h: Host, v: Vcpu): void {
  const end = h.now + Math.max(0, v.remainingNs);
  drawSegment(h, v);
  v.sectionEndNs = end;
  v.sectionStartNs = h.now;
  v.sectionOrder = h.queue.reserveOrder();
  // The generation the segment will have once the section is settled (setActivity adds one).
  h.queue.pushAs(end + v.drawnSegmentNs, HostEvent.Guest, v.id, v.guestGen + 1, end, v.sectionOrder);
}

/**
 * Something looks at `v` while its section runs ahead: it ended unseen, or gets its end event
 * back — also at its very nanosecond, when the event being handled came before that end event.
 */
export function settleSection(h: Host, v: Vcpu): void {
  const end = v.sectionEndNs;
  if (h.now < end || (h.now === end && h.queue.poppedBefore(v.sectionStartNs, v.sectionOrder))) {
    v.sectionEndNs = -1;
    h.queue.pushAs(end, HostEvent.Guest, v.id, v.guestGen, v.sectionStartNs, v.sectionOrder);
    return;
  }
  sectionEnded(h, v);
}

/**
 * What the section's end event would have done at its end: account the section, release the lock
 * (nobody waits: a waiter would have settled it), begin the segment drawn with it.
 */
function sectionEnded(h: Host, v: Vcpu): void {
  const end = v.sectionEndNs;
  v.sectionEndNs = -1;
  const held = end - v.activityStartNs;
  v.usefulNs += held;
  v.remainingNs -= held;
  v.activityStartNs = end;
  const vm = h.vms[v.vm]!;
  vm.lockHolder[v.lock] = -1;
  v.lock = -1;
  v.criticalSections++;
  v.drawn = false;
  v.nextOp = v.drawnNextOp;
  v.activity = Activity.Compute;
  v.remainingNs = v.drawnSegmentNs;
  v.userMode = v.drawnUserMode;
  v.guestGen++;
}

/**
 * At the end of `advanceTo(untilNs)`: every section that ended by then, settled (counters are
 * read), as its end event would have been handled.
 */
export function settleEnded(h: Host, untilNs: number): void {
  for (const v of h.vcpus) if (v.sectionEndNs >= 0 && v.sectionEndNs <= untilNs) sectionEnded(h, v);
}
