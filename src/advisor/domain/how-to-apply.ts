import type { ApplyStep } from '../../telemetry';
import type { VmPv } from './calibrate';

/**
 * How an operator applies each kind of action, per platform. Sources: QEMU's
 * docs/system/i386/kvm-pv.rst (the kvm-pv-* CPU properties; `-cpu host` passes every PV feature
 * the host supports), libvirt's domain XML (`<cpu mode='host-passthrough'>` is `-cpu host`;
 * `virsh vcpupin/emulatorpin --live`), KubeVirt's VMI spec (`spec.domain.cpu.model`,
 * `dedicatedCpuPlacement`, `isolateEmulatorThread`), and the kvm_intel / kvm_amd module parameters
 * (ple_gap and pause_filter_count are read-only once loaded).
 */

/**
 * The QEMU CPU property of each PV feature a what-if may enable. Not PV IPIs: what they save (one
 * hypercall instead of an ICR-write exit per destination) is not in the models, so a replay could
 * only predict no change; nor PV spinlocks, which Linux disables on a host that hints dedicated CPUs.
 */
export const PV_PROPERTY: Record<Extract<keyof VmPv, 'tlbFlush' | 'schedYield'>, string> = {
  tlbFlush: 'kvm-pv-tlb-flush',
  schedYield: 'kvm-pv-sched-yield',
};

export function applyPvFeature(feature: keyof typeof PV_PROPERTY, vms: string): ApplyStep[] {
  const property = PV_PROPERTY[feature];
  return [
    {
      on: 'kubevirt',
      how: `set spec.domain.cpu.model: host-passthrough on ${vms} (every PV feature the host supports; the VM restarts, and live-migrates only between nodes with the same CPU)`,
    },
    {
      on: 'libvirt',
      how: `<cpu mode='host-passthrough'/> in the domain XML of ${vms} (QEMU's -cpu host), or add ${property}=on to a named model through <qemu:commandline>; restart the domain`,
    },
    { on: 'qemu', how: `-cpu <model>,${property}=on (or -cpu host); restart QEMU` },
  ];
}

export function applyKernel(install: string): ApplyStep[] {
  return [
    {
      on: 'kubevirt',
      how: `install ${install}; kubectl drain the node (VMs with evictionStrategy LiveMigrate move away), reboot, uncordon`,
    },
    { on: 'host', how: `install ${install} and reboot (migrate or shut down the VMs first)` },
  ];
}

export function applyPatch(source: string): ApplyStep[] {
  return [{ on: 'host', how: `build and boot a kernel with ${source}: not in any released kernel` }];
}

/** A kvm_intel / kvm_amd parameter: read-only once the module is loaded (module_param …, 0444). */
export function applyModuleParameter(option: string): ApplyStep[] {
  return [
    {
      on: 'host',
      how: `options ${option} in /etc/modprobe.d/, then reload the module with every VM off the node (the parameter is read-only once loaded)`,
    },
    {
      on: 'kubevirt',
      how: `the same through a MachineConfig or node image, then drain (VMs live-migrate away), reload or reboot, uncordon`,
    },
  ];
}

export function applyIsolate(vm: string, cpus: string): ApplyStep[] {
  return [
    {
      on: 'kubevirt',
      how: `spec.domain.cpu.dedicatedCpuPlacement: true (and isolateEmulatorThread: true) on ${vm}; needs the CPU manager's static policy on the node; the VM restarts`,
    },
    {
      on: 'libvirt',
      how: `virsh vcpupin ${vm} <vcpu> <cpu> --live for each vCPU over ${cpus}, and virsh emulatorpin; the other domains' <vcpu cpuset> to the rest (live, no restart)`,
    },
    { on: 'qemu', how: `taskset -p each vCPU thread of ${vm} to one CPU of ${cpus}` },
  ];
}

export function applyLiftLimit(vms: string): ApplyStep[] {
  return [
    {
      on: 'kubevirt',
      how: `raise or remove spec.domain.resources.limits.cpu of ${vms} (or the namespace LimitRange that sets it); the VM restarts`,
    },
    {
      on: 'libvirt',
      how: `virsh schedinfo <domain> --live --set vcpu_quota=-1 for ${vms} (and drop <vcpu_quota> from <cputune> to keep it)`,
    },
    { on: 'host', how: `echo max > cpu.max of the VM's cgroup (${vms})` },
  ];
}

/**
 * kvm.halt_poll_ns is writable (0644). Since 9eb8ca049c23 ("KVM: Obey kvm.halt_poll_ns in VMs not
 * using KVM_CAP_HALT_POLL", 6.1) a VM that did not set the capability (QEMU does not by default)
 * follows a change at its next halt; from 5.15 to 6.0 a VM keeps the value it was created with.
 */
export function applyHaltPoll(value: number): ApplyStep[] {
  return [
    {
      on: 'host',
      how: `echo ${value} > /sys/module/kvm/parameters/halt_poll_ns, and options kvm halt_poll_ns=${value} in /etc/modprobe.d/ to keep it`,
    },
    {
      on: 'kubevirt',
      how: `the same on the node (a MachineConfig, or a privileged DaemonSet that writes it); no VM restarts on 6.1 and later`,
    },
  ];
}
