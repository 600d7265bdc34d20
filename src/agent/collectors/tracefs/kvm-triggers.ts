import { appendFileSync } from 'node:fs';
import { appendFile, access } from 'node:fs/promises';
import { errorCode, type HostRoot, type Missing } from '../../host-root';
import { parseHist } from './hist-format';

/** PAUSE exit reasons: VMX EXIT_REASON_PAUSE_INSTRUCTION = 40, SVM_EXIT_PAUSE = 0x77. */
export const PAUSE_EXIT_REASON = { vmx: 40, svm: 0x77 } as const;

interface Trigger {
  event: string;
  spec: string;
}

/** The in-kernel aggregations spinwise installs: counting happens in the kernel, per thread. */
export function kvmTriggers(vendor: 'vmx' | 'svm'): Record<'pleExits' | 'pleWindow' | 'ipis', Trigger> {
  return {
    pleExits: {
      event: 'kvm/kvm_exit',
      spec: `hist:keys=common_pid:vals=hitcount:sort=common_pid:size=8192 if exit_reason==${PAUSE_EXIT_REASON[vendor]}`,
    },
    pleWindow: {
      event: 'kvm/kvm_ple_window_update',
      spec: 'hist:keys=common_pid:vals=hitcount:sort=common_pid:size=8192',
    },
    ipis: {
      event: 'kvm/kvm_apic_ipi',
      spec: 'hist:keys=common_pid,dest_id:vals=hitcount:sort=common_pid:size=8192',
    },
  };
}

export interface TraceCounts {
  /** Cumulative PLE exits per vCPU thread id. */
  pleExits?: Map<number, number>;
  pleWindowUpdates?: Map<number, number>;
  /** Cumulative IPIs per "senderTid:destApicId". */
  ipis?: Map<string, number>;
  errors: number;
  missing: Missing[];
}

/**
 * The triggers in effect as a `trigger` file shows them: the kernel lists each as its spec with
 * ` [active]` or ` [paused]`; a file that logs writes (the simulated node's) lists "!spec" for a
 * removal, replayed here.
 */
export function triggersInEffect(text: string): string[] {
  const active: string[] = [];
  for (const raw of text.split('\n')) {
    const line = raw.replace(/\s+\[(active|paused)\]\s*$/, '').trim();
    if (!line || line.startsWith('#')) continue;
    if (line.startsWith('!')) {
      const at = active.indexOf(line.slice(1));
      if (at >= 0) active.splice(at, 1);
    } else active.push(line);
  }
  return active;
}

/**
 * Installs the hist triggers on start and removes exactly those on stop (a '!'-prefixed copy of
 * each trigger written to the same file), leaving any trigger someone else installed alone. A
 * trigger is kernel state that outlives the agent: an agent that was OOM-killed or SIGKILLed
 * leaves its triggers counting (and the kernel refuses the same trigger twice, EEXIST), so start
 * removes the ones a previous agent left before installing its own, and every way out of the
 * process — stop, a signal, an uncaught error — removes them (`removeNow`, synchronous, for the
 * process's 'exit').
 */
export class KvmTracefs {
  private readonly installed: Trigger[] = [];
  private readonly failed = new Map<string, string>();
  private dir: string | null = null;
  /** Triggers a previous agent left installed and this one removed before installing its own. */
  removedAtStart = 0;
  private readonly onExit = () => this.removeNow();

  constructor(
    private readonly root: HostRoot,
    private readonly vendor: 'vmx' | 'svm',
  ) {}

  async start(): Promise<void> {
    for (const candidate of ['sys/kernel/tracing', 'sys/kernel/debug/tracing']) {
      try {
        await access(this.root.path(candidate, 'events', 'kvm'));
        this.dir = candidate;
        break;
      } catch {
        // try the next mount point
      }
    }
    process.once('exit', this.onExit);
    for (const [signal, trigger] of Object.entries(kvmTriggers(this.vendor))) {
      if (!this.dir) {
        this.failed.set(
          signal,
          'no tracefs with kvm events under /sys/kernel/tracing or /sys/kernel/debug/tracing',
        );
        continue;
      }
      const file = this.root.path(this.dir, 'events', trigger.event, 'trigger');
      try {
        const present = await this.root.read(this.dir, 'events', trigger.event, 'trigger');
        if (triggersInEffect(present ?? '').includes(trigger.spec)) {
          await appendFile(file, `!${trigger.spec}\n`);
          this.removedAtStart++;
        }
        await appendFile(file, `${trigger.spec}\n`);
        this.installed.push(trigger);
      } catch (err) {
        // EINVAL: a kernel without CONFIG_HIST_TRIGGERS; EACCES/EROFS: tracefs not writable here.
        this.failed.set(signal, `cannot install hist trigger on ${trigger.event}: ${errorCode(err)}`);
      }
    }
  }

  /** Why a signal's trigger could not be installed, or null when it was. */
  failure(signal: 'pleExits' | 'pleWindow' | 'ipis'): string | null {
    return this.failed.get(signal) ?? null;
  }

  /** A signal whose trigger failed is partly given another way: its missing reason says how. */
  explainFailure(signal: 'pleExits' | 'pleWindow' | 'ipis', reason: string): void {
    if (this.failed.has(signal)) this.failed.set(signal, reason);
  }

  async stop(): Promise<void> {
    process.off('exit', this.onExit);
    while (this.installed.length > 0) {
      const trigger = this.installed.pop()!;
      await appendFile(
        this.root.path(this.dir!, 'events', trigger.event, 'trigger'),
        `!${trigger.spec}\n`,
      ).catch(() => undefined);
    }
  }

  /** The same as `stop`, synchronously: all a process's 'exit' handler may do. */
  removeNow(): void {
    while (this.installed.length > 0) {
      const trigger = this.installed.pop()!;
      try {
        appendFileSync(this.root.path(this.dir!, 'events', trigger.event, 'trigger'), `!${trigger.spec}\n`);
      } catch {
        // Nothing more can be done on the way out; the next agent removes it at its start.
      }
    }
  }

  async read(): Promise<TraceCounts> {
    const out: TraceCounts = { errors: 0, missing: [] };
    for (const [signal, reason] of this.failed)
      out.missing.push({ signal: signal as Missing['signal'], reason });
    for (const trigger of this.installed) {
      let text: string | null;
      try {
        text = await this.root.read(this.dir!, 'events', trigger.event, 'hist');
      } catch (err) {
        out.errors++;
        out.missing.push({
          signal: SIGNAL_OF[trigger.event]!,
          reason: `${errorCode(err)} reading ${trigger.event}/hist`,
        });
        continue;
      }
      const { entries, errors } = parseHist(text ?? '');
      out.errors += errors;
      if (trigger.event === 'kvm/kvm_apic_ipi') {
        out.ipis = new Map(entries.map((e) => [`${e.keys.common_pid}:${e.keys.dest_id}`, e.hitcount]));
      } else {
        const counts = new Map(entries.map((e) => [e.keys.common_pid!, e.hitcount]));
        if (trigger.event === 'kvm/kvm_exit') out.pleExits = counts;
        else out.pleWindowUpdates = counts;
      }
    }
    return out;
  }
}

const SIGNAL_OF: Record<string, Missing['signal']> = {
  'kvm/kvm_exit': 'pleExits',
  'kvm/kvm_ple_window_update': 'pleWindow',
  'kvm/kvm_apic_ipi': 'ipis',
};
