import { EnqueueKind } from '../sched/host-scheduler';
import type { HostModel } from './host-model';
import type { RunQueue } from './runqueue';
import { type Thread } from './thread';

/** Periodic load balancing between busy pCPUs every this many ticks (idle pCPUs pull every tick). */
export const BALANCE_TICKS = 4;

/** select_task_rq_fair(), simplified: previous pCPU if idle, else an idle allowed one, else the previous. */
export function selectCpu(h: HostModel, t: Thread): number {
  const allowed = t.allowed;
  if (allowed.length === 1) return allowed[0]!;
  const prev = h.rqs[t.cpu]!;
  if (prev.threads.length === 0 && allowed.includes(t.cpu)) return t.cpu;
  const start = Math.max(0, allowed.indexOf(t.cpu));
  for (let i = 0; i < allowed.length; i++) {
    const cpu = allowed[(start + i) % allowed.length]!;
    if (h.rqs[cpu]!.threads.length === 0) return cpu;
  }
  return allowed.includes(t.cpu) ? t.cpu : allowed[0]!;
}

/** Idle balance: pull one waiting thread that may run here from the busiest runqueue. */
/**
 * can_migrate_task(), simplified: the thread may run there (cpus_allowed), and its cgroup is not
 * throttled there (throttled_lb_pair).
 */
function canMigrate(h: HostModel, t: Thread, cpu: number): boolean {
  return t.allowed.includes(cpu) && !h.bandwidthOf(t)?.throttled[cpu];
}

export function pullTo(h: HostModel, rq: RunQueue): boolean {
  let source: RunQueue | null = null;
  let victim: Thread | null = null;
  for (const other of h.rqs) {
    if (other === rq || other.waiting() === 0 || (source && other.waiting() <= source.waiting())) continue;
    for (const t of other.threads)
      if (t !== other.curr && canMigrate(h, t, rq.cpu)) {
        source = other;
        victim = t;
        break;
      }
  }
  if (!source || !victim) return false;
  migrate(h, victim, source, rq);
  return true;
}

/** Periodic balance: even out runqueues that differ by two or more runnable threads. */
export function balance(h: HostModel): void {
  for (const rq of h.rqs) {
    let busiest: RunQueue | null = null;
    for (const other of h.rqs)
      if (other.waiting() > 0 && (!busiest || other.threads.length > busiest.threads.length)) busiest = other;
    if (!busiest || busiest.threads.length < rq.threads.length + 2) continue;
    for (const t of busiest.threads)
      if (t !== busiest.curr && canMigrate(h, t, rq.cpu)) {
        migrate(h, t, busiest, rq);
        if (!rq.curr) h.schedule(rq);
        break;
      }
  }
}

export function migrate(h: HostModel, t: Thread, from: RunQueue, to: RunQueue): void {
  h.updateCurr(from);
  h.sched.unplace(from, t, true);
  from.remove(t);
  t.cpu = to.cpu;
  to.add(t);
  h.sched.place(to, t, EnqueueKind.Migrate, from);
  h.pollInterrupted(to);
}
