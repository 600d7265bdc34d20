import { EnqueueKind } from '../sched/host-scheduler';
import { HostEvent } from './host-event';
import type { Host, HostLoad } from './ports';
import { ThreadState, type Thread } from './thread';

export function startLoadBurst(h: Host, load: HostLoad): void {
  load.remainingNs = load.demand.exponentialNs(load.burstNs);
  h.schedOps.wakeThread(load.thread, EnqueueKind.New);
}

export function loadFor(h: Host, t: Thread): HostLoad {
  return h.loads[t.id - h.vcpus.length]!;
}

export function pauseLoad(h: Host, t: Thread): void {
  const load = loadFor(h, t);
  load.remainingNs -= h.now - load.startedNs;
  load.gen++;
}

export function resumeLoad(h: Host, t: Thread): void {
  const load = loadFor(h, t);
  load.gen++;
  load.startedNs = h.now;
  h.queue.push(h.now + Math.max(0, load.remainingNs), HostEvent.HostLoad, t.id - h.vcpus.length, load.gen);
}

export function loadStep(h: Host, load: HostLoad): void {
  const t = load.thread;
  load.gen++;
  if (t.state === ThreadState.Running) {
    h.schedOps.blockThread(t);
    h.queue.push(
      h.now + load.demand.exponentialNs((load.burstNs * (1 - load.busy)) / load.busy),
      HostEvent.HostLoad,
      t.id - h.vcpus.length,
      load.gen,
    );
  } else if (t.state === ThreadState.Sleeping) {
    load.remainingNs = load.demand.exponentialNs(load.burstNs);
    h.schedOps.wakeThread(t, EnqueueKind.Wakeup);
  }
}
