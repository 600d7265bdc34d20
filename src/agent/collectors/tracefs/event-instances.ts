import { existsSync, mkdirSync, readdirSync, readFileSync, rmdirSync, writeFileSync } from 'node:fs';
import { errorCode, type HostRoot } from '../../host-root';
import { counterValue } from '../procfs/proc-formats';

/** Which event an instance counts, and for which threads. */
export interface CountedEvent {
  /** `kvm/kvm_exit` */
  event: string;
  /** The event filter (kernel/trace/trace_events_filter.c syntax), e.g. `exit_reason == 40`; none: every event. */
  filter?: string;
}

/** Instances this agent owns are named so; a killed agent's are recognised and removed. */
const PREFIX = 'spinwise-';

/**
 * Events written to an instance's ring buffers, from `per_cpu/cpuN/stats` (ring_buffer.c,
 * tracing_stats_read): `entries` still in the buffer, `overrun` overwritten, `dropped events`
 * refused when full without overwrite, `read events` consumed. The agent never reads the events,
 * so their sum is every event written: a count without reading one.
 */
export function eventsWritten(stats: string): number | null {
  let total = 0;
  for (const field of ['entries', 'overrun', 'dropped events', 'read events']) {
    const m = new RegExp(`^${field}: (\\d+)$`, 'm').exec(stats);
    const value = m ? counterValue(m[1]!) : null;
    if (value === null) return null;
    total += value;
  }
  return total;
}

/**
 * Counts one event per group of threads (a VM's vCPUs) where the kernel has no hist triggers
 * (CONFIG_HIST_TRIGGERS off): one private tracefs instance per group, its event filtered
 * (`filter`) and restricted to the group's threads (`set_event_pid`), its ring buffers as small
 * as the kernel allows, and the count read from the buffers' statistics — no event is ever read.
 * Each written event costs the tracepoint and a ring-buffer write; the instance's buffers cost
 * memory per CPU. Instances go with their group, at `stop`, and at start those a killed agent
 * left are removed.
 */
export class EventInstances {
  private readonly groups = new Map<string, { dir: string; tids: string }>();
  private dir: string | null = null;
  removedAtStart = 0;

  constructor(
    private readonly root: HostRoot,
    private readonly counted: CountedEvent,
  ) {}

  /** The tracefs mount with instances, or the reason there is none. */
  start(): string | null {
    this.dir =
      ['sys/kernel/tracing', 'sys/kernel/debug/tracing']
        .map((d) => this.root.path(d))
        .find((d) => existsSync(`${d}/instances`) && existsSync(`${d}/events/${this.counted.event}`)) ?? null;
    if (!this.dir) return `no tracefs with instances and ${this.counted.event} under /sys/kernel/tracing`;
    for (const name of readdirSync(`${this.dir}/instances`))
      if (name.startsWith(PREFIX)) {
        this.remove(`${this.dir}/instances/${name}`);
        this.removedAtStart++;
      }
    return null;
  }

  /**
   * Counts for each group (`key` → thread ids) now; a new group gets its instance (counting
   * from now: its first reading is its baseline), a gone group loses its instance.
   */
  read(groups: Map<string, number[]>): { counts: Map<string, number>; problems: Map<string, string> } {
    const counts = new Map<string, number>();
    const problems = new Map<string, string>();
    if (!this.dir) return { counts, problems };
    for (const [key, group] of this.groups)
      if (!groups.has(key)) {
        this.remove(group.dir);
        this.groups.delete(key);
      }
    for (const [key, tids] of groups) {
      try {
        const group = this.ensure(key, tids.join(' '));
        let total = 0;
        for (const cpu of readdirSync(`${group.dir}/per_cpu`)) {
          const written = eventsWritten(readFileSync(`${group.dir}/per_cpu/${cpu}/stats`, 'utf8'));
          if (written === null) throw new Error('malformed per_cpu stats');
          total += written;
        }
        counts.set(key, total);
      } catch (err) {
        problems.set(key, `tracefs instance: ${errorCode(err)}`);
      }
    }
    return { counts, problems };
  }

  stop(): void {
    for (const group of this.groups.values()) this.remove(group.dir);
    this.groups.clear();
  }

  private ensure(key: string, tids: string): { dir: string; tids: string } {
    let group = this.groups.get(key);
    if (!group) {
      const dir = `${this.dir}/instances/${PREFIX}${key.replace(/[^0-9a-z@-]/gi, '_')}`;
      mkdirSync(dir);
      group = { dir, tids: '' };
      this.groups.set(key, group);
      // The smallest buffers: nothing is ever read from them, only their statistics.
      writeFileSync(`${dir}/buffer_size_kb`, '1');
      if (this.counted.filter)
        writeFileSync(`${dir}/events/${this.counted.event}/filter`, this.counted.filter);
    }
    if (group.tids !== tids) {
      writeFileSync(`${group.dir}/set_event_pid`, tids);
      if (!group.tids) writeFileSync(`${group.dir}/events/${this.counted.event}/enable`, '1');
      group.tids = tids;
    }
    return group;
  }

  private remove(dir: string): void {
    try {
      rmdirSync(dir);
    } catch {
      // busy or gone: the next agent's start tries again
    }
  }
}
