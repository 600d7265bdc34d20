import { HostEvent } from '../host/host-event';
import type { Host } from '../host/ports';
import type { RunQueue } from '../host/runqueue';
import type { Vcpu } from './vcpu';

/** halt_poll_ns_grow_start (virt/kvm/kvm_main.c): the first poll window, 10 µs. */
const GROW_START_NS = 10_000;
/** halt_poll_ns_grow: each growth doubles the window. */
const GROW = 2;
/** halt_poll_ns_shrink from 6.11 (aeb1b22a3ac8): each shrink halves the window. */
const SHRINK = 2;

/** shrink_halt_poll_ns(): halved from 6.11, else 0; below the grow start, 0 (ae232ea46088). */
function shrunk(h: Pick<Host, 'features'>, windowNs: number): number {
  if (!h.features.has('halt-poll-shrink')) return 0;
  const half = Math.floor(windowNs / SHRINK);
  return half < GROW_START_NS ? 0 : half;
}

/**
 * Halt polling (kvm_vcpu_halt(), virt/kvm/kvm_main.c): a vCPU that executes HLT (or pv_wait's
 * halt) first polls for up to its own halt_poll_ns, as long as `single_task_running()` and no
 * reschedule is pending (kvm_vcpu_can_poll); an interrupt, timer or kick that arrives meanwhile
 * ends the halt without a context switch. Otherwise it blocks. The thread runs while it polls:
 * host CPU time the guest does not use (pollNs), and it is no yield candidate (not `ready`).
 */
export function kvmVcpuHalt(h: Host, v: Vcpu): void {
  v.haltStartNs = h.now;
  const rq = h.rqs[v.thread.cpu]!;
  if (h.scenario.host.haltPollNs > 0 && v.haltPollNs > 0 && rq.threads.length === 1) {
    v.polling = true;
    v.pollStartNs = h.now;
    v.guestGen++;
    h.queue.push(h.now + v.haltPollNs, HostEvent.Guest, v.id, v.guestGen);
    return;
  }
  h.schedOps.blockThread(v.thread);
}

/** The poll window passed with nothing pending: the vCPU blocks. */
export function pollExpired(h: Host, v: Vcpu): void {
  endPoll(h, v);
  h.schedOps.blockThread(v.thread);
}

/** An event for a polling vCPU (kvm_vcpu_check_block() < 0): the halt ends where it was. */
export function wakeFromPoll(h: Host, v: Vcpu): void {
  endPoll(h, v);
  haltEnded(h, v);
}

/**
 * Another task became runnable on a polling vCPU's pCPU: single_task_running() fails, polling
 * stops and the vCPU blocks, leaving the pCPU to that task.
 */
export function pollInterrupted(h: Host, rq: RunQueue): boolean {
  const curr = rq.curr;
  if (!curr || curr.vcpu < 0) return false;
  const v = h.vcpus[curr.vcpu]!;
  if (!v.polling) return false;
  pollExpired(h, v);
  return true;
}

function endPoll(h: Host, v: Vcpu): void {
  v.pollNs += h.now - v.pollStartNs;
  v.polling = false;
  v.guestGen++;
}

/**
 * The end of kvm_vcpu_halt(), once the vCPU runs again: adapt its poll window to the halt it
 * just had (halt_ns). A halt the window covered changes nothing; a longer one than
 * halt_poll_ns shrinks it (shrink_halt_poll_ns) — reset to 0 by the default
 * halt_poll_ns_shrink = 0 before 6.11, halved by its default of 2 from 6.11 (aeb1b22a3ac8), and
 * dropped to 0 below halt_poll_ns_grow_start (ae232ea46088, 5.15); a short one grows it: from 0
 * to halt_poll_ns_grow_start, then doubling, up to halt_poll_ns.
 */
/** What the window's adaptation reads of the host: the clock, halt_poll_ns, the kernel's features. */
type HaltClock = Pick<Host, 'now' | 'features'> & {
  readonly scenario: { readonly host: { readonly haltPollNs: number } };
};

export function haltEnded(h: HaltClock, v: Vcpu): void {
  if (v.haltStartNs < 0) return;
  const haltNs = h.now - v.haltStartNs;
  v.haltStartNs = -1;
  const max = h.scenario.host.haltPollNs;
  if (max <= 0) {
    v.haltPollNs = 0;
    return;
  }
  if (haltNs <= v.haltPollNs) return;
  if (v.haltPollNs > 0 && haltNs > max) v.haltPollNs = shrunk(h, v.haltPollNs);
  else if (v.haltPollNs < max && haltNs < max)
    v.haltPollNs = Math.min(max, v.haltPollNs < GROW_START_NS ? GROW_START_NS : v.haltPollNs * GROW);
}
