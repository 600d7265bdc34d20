import { Rng } from '../core/rng';
import { Vcpu } from '../kvm/vcpu';
import type { Scenario, VmSpec } from '../scenario';
import { Bandwidth } from './bandwidth';
import { kubevirtPod, type PodCgroup } from './kubevirt';
import type { HostLoad, VmState } from './ports';
import { Thread } from './thread';

/** A host's threads and what runs on them, as the scenario describes it. */
export interface Population {
  vms: VmState[];
  vcpus: Vcpu[];
  /** vCPU threads first (thread id = vCPU id), then host load, then QEMU's own threads. */
  threads: Thread[];
  loads: HostLoad[];
  /** Per VM, its cgroup's cpu.weight (flat trees), and its KubeVirt pod (the kubevirt tree). */
  weights: number[];
  pods: PodCgroup[];
  maxVcpus: number;
}

/**
 * Builds the scenario's VMs, their vCPU threads, the host's other load and QEMU's emulator
 * threads (every vCPU's PLE window at `pleWindowNs`), each with its own random stream of the run's seed (`vcpu/<vm>/<i>`, `load/<i>`,
 * `emulator/<vm>/<i>`), so that a vCPU's guest draws the same whatever else the host holds.
 */
export function populate(scenario: Scenario, pleWindowNs: number, seed: number): Population {
  const pcpus = scenario.host.pcpus;
  const vms: VmState[] = [];
  const vcpus: Vcpu[] = [];
  const threads: Thread[] = [];
  const loads: HostLoad[] = [];
  const all = Array.from({ length: pcpus }, (_, i) => i);
  let maxVcpus = 1;
  const kubevirt = scenario.host.cgroups === 'kubevirt';
  const weights: number[] = [];
  const pods: PodCgroup[] = [];
  /** QEMU's own threads, created once every vCPU thread is (load threads follow the vCPUs). */
  const emulators: { vm: number; allowed: readonly number[]; spec: NonNullable<VmSpec['emulator']> }[] = [];
  for (const spec of scenario.vms) {
    const pod = kubevirt ? kubevirtPod(spec) : null;
    const limit = pod ? pod.limit : spec.cpu?.limit;
    const dedicated = spec.pinning === 'dedicated' || spec.dedicatedCpus;
    // KubeVirt's isolateEmulatorThread takes one more dedicated CPU per VM, after its vCPUs'.
    const stride = spec.vcpus + (spec.isolateEmulatorThread ? 1 : 0);
    for (let copy = 0; copy < spec.count; copy++) {
      const vmIndex = vms.length;
      const cpus = spec.cpus ?? all;
      weights.push(pod ? pod.weight : (spec.cpu?.weight ?? 100));
      if (pod) pods.push(pod);
      const vm: VmState = {
        name: spec.count > 1 ? `${spec.name}-${copy}` : spec.name,
        vcpus: [],
        work: spec.workload,
        lastBoosted: 0,
        lockHolder: new Int32Array(spec.workload.locks.count).fill(-1),
        lockWaiters: Array.from({ length: spec.workload.locks.count }, () => []),
        lockRatePerNs: spec.workload.locks.perSecond / 1e9,
        mutexOwner: new Int32Array(spec.workload.mutexes.count).fill(-1),
        mutexWaiters: Array.from({ length: spec.workload.mutexes.count }, () => []),
        mutexRatePerNs: spec.workload.mutexes.perSecond / 1e9,
        bw:
          limit !== undefined
            ? new Bandwidth(
                vmIndex,
                Math.round(limit * (spec.cpu?.period ?? 100e6)),
                spec.cpu?.period ?? 100e6,
                pcpus,
              )
            : null,
        ipiRatePerNs: spec.workload.ipis.perSecond / 1e9,
      };
      for (let i = 0; i < spec.vcpus; i++) {
        const allowed = dedicated ? [cpus[(copy * stride + i) % cpus.length]!] : cpus;
        const thread = new Thread(threads.length, vcpus.length, allowed);
        threads.push(thread);
        const demand = Rng.stream(seed, `vcpu/${vm.name}/${i}`);
        const v = new Vcpu(vcpus.length, vmIndex, i, spec.vcpus, thread, demand);
        v.pleWindow = pleWindowNs;
        vcpus.push(v);
        vm.vcpus.push(v);
      }
      maxVcpus = Math.max(maxVcpus, spec.vcpus);
      vms.push(vm);
      if (spec.emulator && spec.emulator.threads > 0)
        emulators.push({
          vm: vmIndex,
          allowed: spec.isolateEmulatorThread ? [cpus[(copy * stride + spec.vcpus) % cpus.length]!] : cpus,
          spec: spec.emulator,
        });
    }
  }
  const host = scenario.host.otherLoad;
  for (let i = 0; i < host.threads; i++) {
    const thread = new Thread(threads.length, -1, all);
    thread.cpu = i % pcpus;
    threads.push(thread);
    loads.push(load0(thread, -1, host.busy, host.burst, Rng.stream(seed, `load/${i}`)));
  }
  for (const e of emulators)
    for (let i = 0; i < e.spec.threads; i++) {
      const thread = new Thread(threads.length, -1, e.allowed);
      threads.push(thread);
      const demand = Rng.stream(seed, `emulator/${vms[e.vm]!.name}/${i}`);
      loads.push(load0(thread, e.vm, e.spec.busy, e.spec.burst, demand));
    }
  return { vms, vcpus, threads, loads, weights, pods, maxVcpus };
}

function load0(thread: Thread, vm: number, busy: number, burstNs: number, demand: Rng): HostLoad {
  return { thread, vm, busy, burstNs, remainingNs: 0, startedNs: 0, gen: 0, demand };
}
