import { mkdir, readFile, symlink, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { HostModel } from '../../sim/host/host-model';
import type { Scenario, WorkloadSpec } from '../../sim/scenario';
import { buildHost, pleConfigOf, resolveModel } from '../../sim/simulate';
import { VCPU_STATS } from '../collectors/qmp/qmp-stats';
import { kvmTriggers, triggersInEffect } from '../collectors/tracefs/kvm-triggers';
import { startQmpServer } from './qmp-server';

/** Cumulative counters of one simulated vCPU thread, as the renderer writes them. */
export interface SimulatedVcpuCounters {
  vm: string;
  vcpu: number;
  tid: number;
  pleExits: number;
  pleWindowUpdates: number;
  runNs: number;
  waitNs: number;
  timeslices: number;
}

const pidOf = (vm: number) => 2000 + vm * 1000;
const tidOf = (vm: number, vcpu: number) => pidOf(vm) + 1 + vcpu;

/** The systemd scope libvirt puts a VM in (cgroup v2; a `-` in a unit name is escaped as `\x2d`). */
const scopeOf = (index: number, name: string) => `machine.slice/machine-qemu\\x2d${index}\\x2d${name}.scope`;
/**
 * The slice of a virt-launcher pod (kubelet's systemd cgroup driver, Burstable QoS; a `-` in the
 * pod's UID is written `_`), where QEMU runs when the node is rendered as a KubeVirt node.
 */
const podSliceOf = (index: number) => {
  const uid = `00000000_0000_4000_8000_${String(index).padStart(12, '0')}`;
  return `kubepods.slice/kubepods-burstable.slice/kubepods-burstable-pod${uid}.slice`;
};

/**
 * A KVM node made of a model run: a host-root tree with procfs, sysfs, tracefs and debugfs files
 * in the kernel's formats, rewritten as simulated time advances. The agent's real collectors read
 * it. Tracefs behaves like the kernel's: a hist file counts only while its trigger is installed,
 * from the moment it was installed.
 */
export class SimulatedNode {
  readonly host: HostModel;
  readonly modelName: string;
  private readonly active = new Map<string, Map<string, number>>();
  private previous = new Map<string, number>();
  private readonly monitors: (() => Promise<void>)[] = [];

  constructor(
    readonly scenario: Scenario,
    readonly dir: string,
    modelName?: string,
    seed = scenario.seed,
    private readonly options: {
      /** QEMU started with a QMP monitor per VM (default), or without one (`-qmp` not given). */
      monitors?: boolean;
      /**
       * Render the VMs as KubeVirt VMIs of this namespace: each QEMU in its virt-launcher pod's
       * cgroup (the CPU limit on the pod), its libvirt domain named `<namespace>_<vm>`.
       */
      kubevirtNamespace?: string;
    } = {},
  ) {
    const model = resolveModel(scenario, modelName);
    this.modelName = model.name;
    this.host = buildHost(scenario, model, seed);
  }

  private domainOf(vm: string): string {
    const ns = this.options.kubevirtNamespace;
    return ns ? `${ns}_${vm}` : vm;
  }

  /** The cgroup QEMU's own is under, which holds the VM's CPU limit. */
  private cgroupOf(index: number, vm: string): string {
    return this.options.kubevirtNamespace ? podSliceOf(index) : scopeOf(index, vm);
  }

  get nowNs(): number {
    return this.host.now;
  }

  private async put(rel: string, text: string): Promise<void> {
    const file = join(this.dir, rel);
    await mkdir(join(file, '..'), { recursive: true });
    await writeFile(file, text);
  }

  /** Static files (kernel, CPUs, KVM parameters, processes) and the counters at time 0. */
  async init(): Promise<void> {
    const s = this.scenario;
    this.host.start();
    const ple = pleConfigOf(s);
    await this.put('proc/sys/kernel/osrelease', `${s.host.kernel}\n`);
    const vendor = s.host.cpu.vendor === 'intel' ? 'GenuineIntel' : 'AuthenticAMD';
    await this.put(
      'proc/cpuinfo',
      Array.from(
        { length: s.host.pcpus },
        (_, i) => `processor\t: ${i}\nvendor_id\t: ${vendor}\nphysical id\t: 0\ncore id\t\t: ${i}\n`,
      ).join('\n') + '\n',
    );
    const params =
      ple.vendor === 'vmx'
        ? {
            module: 'kvm_intel',
            files: {
              ple_gap: ple.enabled ? 128 : 0,
              ple_window: ple.base,
              ple_window_grow: ple.grow,
              ple_window_shrink: ple.shrink,
              ple_window_max: ple.max,
              enable_apicv: s.host.apicv ? 'Y' : 'N',
              enable_ipiv: 'N',
            },
          }
        : {
            module: 'kvm_amd',
            files: {
              pause_filter_count: ple.enabled ? ple.base : 0,
              pause_filter_thresh: 128,
              pause_filter_count_grow: ple.grow,
              pause_filter_count_shrink: ple.shrink,
              pause_filter_count_max: ple.max,
              avic: 0,
            },
          };
    for (const [name, value] of Object.entries(params.files))
      await this.put(`sys/module/${params.module}/parameters/${name}`, `${value}\n`);
    await this.put('sys/module/kvm/parameters/halt_poll_ns', `${this.scenario.host.haltPollNs}\n`);
    for (const [, trigger] of Object.entries(kvmTriggers(ple.vendor))) {
      await this.put(`sys/kernel/tracing/events/${trigger.event}/trigger`, '');
      await this.put(`sys/kernel/tracing/events/${trigger.event}/hist`, '');
    }
    for (const [i, vm] of this.host.vms.entries()) {
      const pid = pidOf(i);
      await this.put(`proc/${pid}/comm`, 'qemu-system-x86\n');
      // The process's root, as the kernel's magic link gives it: this tree.
      await symlink('../..', join(this.dir, 'proc', String(pid), 'root'));
      // fs/proc/array.c: field 22 is the start time in ticks after boot (the process's identity with its pid).
      await this.put(
        `proc/${pid}/stat`,
        `${pid} (qemu-system-x86) S 1 ${pid} ${pid} 0 -1 138412480 0 0 0 0 0 0 0 0 20 0 ${vm.vcpus.length + 2} 0 ${100 + i} 680398848 8102 18446744073709551615 0 0 0 0 0 0 0 0 0 0 0 0 17 0 0 0 0 0 0\n`,
      );
      // Each VM's QMP monitor answers from the model, at the path its command line names.
      const monitor = `/run/spinwise-sim/qmp-${i}.sock`;
      if (this.options.monitors !== false) {
        await mkdir(join(this.dir, 'run', 'spinwise-sim'), { recursive: true });
        const server = await startQmpServer(join(this.dir, monitor), 'qemu', (c) =>
          this.qmpReply(i, c.execute),
        );
        this.monitors.push(server.close);
      }
      const qmp = this.options.monitors === false ? '' : `-qmp\0unix:${monitor},server=on,wait=off\0`;
      await this.put(
        `proc/${pid}/cmdline`,
        `qemu-system-x86_64\0-name\0guest=${this.domainOf(vm.name)},debug-threads=on\0-cpu\0${this.cpuOption(vm.work)}\0${qmp}`,
      );
      await this.put(`proc/${pid}/cgroup`, `0::/${this.cgroupOf(i, vm.name)}/libvirt/emulator\n`);
      // libvirt's <cputune> quota (KubeVirt: the pod's CPU limit) sits on the machine scope.
      if (vm.bw)
        await this.put(
          `sys/fs/cgroup/${this.cgroupOf(i, vm.name)}/cpu.max`,
          `${Math.round(vm.bw.quotaNs / 1000)} ${Math.round(vm.bw.periodNs / 1000)}\n`,
        );
      await this.put(`proc/${pid}/task/${pid}/comm`, 'qemu-system-x86\n');
      for (const v of vm.vcpus)
        await this.put(`proc/${pid}/task/${tidOf(i, v.index)}/comm`, `CPU ${v.index}/KVM\n`);
    }
    await this.render();
  }

  /**
   * `-cpu` as libvirt's host-model writes it (a named model), with the PV features the scenario
   * gives the VM named, so the agent reads them as it would on a real host.
   */
  private cpuOption(work: WorkloadSpec): string {
    const model = this.scenario.host.cpu.vendor === 'amd' ? 'EPYC-Rome' : 'Skylake-Server-IBRS';
    const named: [boolean, string][] = [
      [work.pv.tlbFlush, 'kvm-pv-tlb-flush'],
      [work.pv.schedYield, 'kvm-pv-sched-yield'],
      [work.pv.ipi, 'kvm-pv-ipi'],
      [work.pvSpinlocks, 'kvm-pv-unhalt'],
    ];
    return [model, ...named.filter(([on]) => on).map(([, p]) => `${p}=on`)].join(',');
  }

  /**
   * What VM `vm`'s monitor answers: its vCPU threads (query-cpus-fast) and the KVM statistics
   * the model keeps per vCPU (query-stats): exits (PLE and HLT, as the debugfs sum), HLT exits,
   * PV directed yields.
   */
  private qmpReply(vm: number, execute: string): unknown {
    const vcpus = this.host.vcpus.filter((v) => v.vm === vm);
    const path = (index: number) => `/machine/unattached/device[${index}]`;
    if (execute === 'query-cpus-fast')
      return vcpus.map((v) => ({
        'cpu-index': v.index,
        'thread-id': tidOf(vm, v.index),
        'qom-path': path(v.index),
        target: 'x86_64',
      }));
    if (execute === 'query-stats')
      return vcpus.map((v) => ({
        provider: 'kvm',
        'qom-path': path(v.index),
        stats: [
          { name: VCPU_STATS.exits, value: v.pleExits + v.haltExits },
          { name: VCPU_STATS.haltExits, value: v.haltExits },
          { name: VCPU_STATS.directedYieldAttempted, value: v.pvYieldAttempted },
          { name: VCPU_STATS.directedYieldSuccessful, value: v.pvYieldSuccessful },
        ],
      }));
    return {};
  }

  /** Stops the VMs' monitors. */
  async close(): Promise<void> {
    await Promise.all(this.monitors.splice(0).map((close) => close()));
  }

  /** Runs the model `ns` further and rewrites every counter file. */
  async advance(ns: number): Promise<void> {
    this.host.advanceTo(this.host.now + ns);
    await this.render();
  }

  counters(): SimulatedVcpuCounters[] {
    return this.host.vcpus.map((v) => ({
      vm: this.domainOf(this.host.vms[v.vm]!.name),
      vcpu: v.index,
      tid: tidOf(v.vm, v.index),
      pleExits: v.pleExits,
      pleWindowUpdates: v.pleWindowUpdates,
      runNs: this.host.runNsNow(v.thread),
      waitNs: this.host.waitNsNow(v.thread),
      timeslices: v.thread.timeslices,
    }));
  }

  private async render(): Promise<void> {
    const host = this.host;
    for (const v of host.vcpus) {
      const pid = pidOf(v.vm);
      const dir = `proc/${pid}/task/${tidOf(v.vm, v.index)}`;
      const t = v.thread;
      await this.put(`${dir}/schedstat`, `${host.runNsNow(t)} ${host.waitNsNow(t)} ${t.timeslices}\n`);
      await this.put(
        `${dir}/status`,
        `Name:\tCPU ${v.index}/KVM\nState:\tR (running)\nTgid:\t${pid}\nPid:\t${tidOf(v.vm, v.index)}\nCpus_allowed_list:\t${compressCpuList(t.allowed)}\nvoluntary_ctxt_switches:\t${t.voluntarySwitches}\nnonvoluntary_ctxt_switches:\t${t.involuntarySwitches}\n`,
      );
    }
    const cpuLine = (cpu: number) =>
      `cpu${cpu} ${host.yieldCount[cpu]} 0 0 0 0 0 ${host.rqs[cpu]!.busyNs} 0 0`;
    await this.put(
      'proc/schedstat',
      `version 15\ntimestamp ${Math.floor(host.now / 4e6)}\n${host.rqs.map((rq) => cpuLine(rq.cpu)).join('\n')}\n`,
    );
    for (const [i, vm] of host.vms.entries()) {
      const sum = (pick: (v: (typeof vm.vcpus)[number]) => number) =>
        vm.vcpus.reduce((a, v) => a + pick(v), 0);
      const dir = `sys/kernel/debug/kvm/${pidOf(i)}-12`;
      await this.put(`${dir}/exits`, `${sum((v) => v.pleExits + v.haltExits)}\n`);
      await this.put(`${dir}/halt_exits`, `${sum((v) => v.haltExits)}\n`);
      await this.put(`${dir}/directed_yield_attempted`, `${sum((v) => v.pvYieldAttempted)}\n`);
      await this.put(`${dir}/directed_yield_successful`, `${sum((v) => v.pvYieldSuccessful)}\n`);
      const bw = vm.bw;
      if (bw) {
        let throttledNs = bw.throttledNs;
        for (const cpu of bw.order) throttledNs += host.now - bw.throttledSince[cpu]!;
        await this.put(
          `sys/fs/cgroup/${this.cgroupOf(i, vm.name)}/cpu.stat`,
          `usage_usec ${Math.round(sum((v) => host.runNsNow(v.thread)) / 1000)}\nnr_periods ${bw.nrPeriods}\nnr_throttled ${bw.nrThrottled}\nthrottled_usec ${Math.round(throttledNs / 1000)}\n`,
        );
      }
    }
    await this.renderTracefs();
  }

  /** Cumulative per-key counts of each traced event in the model. */
  private eventCounts(event: string): Map<string, number> {
    const out = new Map<string, number>();
    for (const v of this.host.vcpus) {
      const tid = tidOf(v.vm, v.index);
      if (event === 'kvm/kvm_exit') out.set(`${tid}`, v.pleExits);
      else if (event === 'kvm/kvm_ple_window_update') out.set(`${tid}`, v.pleWindowUpdates);
      else v.ipisSent.forEach((n, dest) => n > 0 && out.set(`${tid},${dest}`, n));
    }
    return out;
  }

  private async renderTracefs(): Promise<void> {
    const vendor = pleConfigOf(this.scenario).vendor;
    const current = new Map<string, number>();
    for (const trigger of Object.values(kvmTriggers(vendor))) {
      const base = `sys/kernel/tracing/events/${trigger.event}`;
      const installed = triggersInEffect(
        await readFile(join(this.dir, base, 'trigger'), 'utf8').catch(() => ''),
      );
      const counts = this.eventCounts(trigger.event);
      for (const [k, n] of counts) current.set(`${trigger.event}|${k}`, n);
      if (!installed.includes(trigger.spec)) {
        this.active.delete(trigger.event);
        await this.put(`${base}/hist`, '');
        continue;
      }
      // Installed since the previous render: the kernel started counting then.
      let from = this.active.get(trigger.event);
      if (!from) {
        from = new Map([...counts.keys()].map((k) => [k, this.previous.get(`${trigger.event}|${k}`) ?? 0]));
        this.active.set(trigger.event, from);
      }
      const lines = [...counts]
        .map(([k, n]) => [k, n - (from.get(k) ?? 0)] as const)
        .filter(([, n]) => n > 0)
        .map(([k, n]) => {
          const [pid, dest] = k.split(',');
          const keys =
            dest === undefined
              ? `common_pid: ${pid!.padStart(10)}`
              : `common_pid: ${pid!.padStart(10)}, dest_id: ${dest.padStart(10)}`;
          return `{ ${keys} } hitcount: ${String(n).padStart(10)}`;
        });
      await this.put(
        `${base}/hist`,
        `# event histogram\n#\n# trigger info: ${trigger.spec} [active]\n#\n\n${lines.join('\n')}\n\nTotals:\n    Hits: ${lines.length}\n    Entries: ${lines.length}\n    Dropped: 0\n`,
      );
    }
    this.previous = current;
  }
}

function compressCpuList(cpus: readonly number[]): string {
  const parts: string[] = [];
  for (let i = 0; i < cpus.length; i++) {
    let j = i;
    while (j + 1 < cpus.length && cpus[j + 1] === cpus[j]! + 1) j++;
    parts.push(i === j ? `${cpus[i]}` : `${cpus[i]}-${cpus[j]}`);
    i = j;
  }
  return parts.join(',');
}
