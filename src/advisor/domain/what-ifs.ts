import { loadCatalogue, upgradesFor, type KernelCatalogue } from '../../sim/kernel-catalogue';
import { releaseAtLeast } from '../../sim/kernel-features';
import { isModelName, modelByName } from '../../sim/models';
import type { Scenario } from '../../sim/scenario';
import { pleConfigOf } from '../../sim/simulate';
import type { ApplyStep, Disruption, RecommendationKind } from '../../telemetry';
import type { Calibration } from './calibrate';
import {
  applyIsolate,
  applyKernel,
  applyHaltPoll,
  applyLiftLimit,
  applyModuleParameter,
  applyPatch,
  applyPvFeature,
  PV_PROPERTY,
} from './how-to-apply';

/** One change to replay the fitted workload under: another kernel, PLE tuning, a placement, a VM setting. */
export interface WhatIfCandidate {
  /** Stable across alike nodes (a cached prediction is found by it): never a VM or node name. */
  id: string;
  kind: RecommendationKind;
  target: string;
  summary: string;
  scenario: Scenario;
  model: string;
  disruption: Disruption;
  apply: ApplyStep[];
}

let catalogue: KernelCatalogue | null = null;
/** The kernel catalogue (scenarios/kernels.yaml), read once. */
function kernels(): KernelCatalogue {
  return (catalogue ??= loadCatalogue());
}

/** A patch set no released kernel carries, kept as a what-if so a kernel engineer sees what it buys. */
interface Patch {
  id: string;
  model: string;
  summary: string;
  source: string;
}

/** The VEE 2021 patches (a 5.6 model), and the semantics-aware series on an EEVDF node's own model. */
function patchesFor(model: string): Patch[] {
  const out: Patch[] = [
    {
      id: 'ple-kvm',
      model: 'ple-kvm',
      summary:
        'patch, not in any released kernel: the VEE 2021 debooster and strict boost (github.com/sslab-keio/ple-kvm, Linux 5.6)',
      source: 'the VEE 2021 patches (github.com/sslab-keio/ple-kvm, for Linux 5.6)',
    },
  ];
  const features = model.startsWith('stock-') && isModelName(model) ? modelByName(model).features : [];
  if (features.includes('eevdf') && !features.includes('semantics-aware'))
    out.push({
      id: 'semantics-aware',
      model: `${model}+semantics-aware`,
      summary:
        'patch, not in any released kernel: the semantics-aware vCPU scheduling series v1 (vCPU debooster, IPI-aware directed yield)',
      source: 'the "sched/kvm: Semantics-aware vCPU scheduling" series (v1, lore.kernel.org, 2025-11-10)',
    });
  return out.filter((p) => p.model !== model);
}

/** The host kernel release that first offers each PV feature (QEMU's docs/system/i386/kvm-pv.rst). */
const PV_HOST_SINCE: Record<keyof typeof PV_PROPERTY, [number, number]> = {
  tlbFlush: [4, 16],
  schedYield: [5, 10],
};

const range = (from: number, count: number) => Array.from({ length: count }, (_, i) => from + i);

/** VMs by name, bounded for the wire: up to four, else three and how many more (a node may run hundreds). */
function vmList(vmNames: readonly string[], scenario: Scenario, indices: readonly number[]): string {
  const names = indices
    .map((i) => vmNames[i] ?? scenario.vms[i]!.name)
    .map((n) => (n.length > 60 ? `${n.slice(0, 59)}…` : n));
  return names.length > 4 ? `${names.slice(0, 3).join(', ')} and ${names.length - 3} more` : names.join(', ');
}

/**
 * Give the VM that spins most pCPUs of its own and let the others share the rest: its lock holders
 * are never preempted by another VM's threads, at the price of a smaller pool for the rest. Whether
 * that pays is the model's call; only a shared (unpinned) node with room for it is a candidate.
 */
function isolate(cal: Calibration, index: number, vmName: string): WhatIfCandidate | null {
  const { scenario } = cal;
  const pcpus = scenario.host.pcpus;
  const vm = scenario.vms[index];
  if (!vm || scenario.vms.length < 2 || scenario.vms.some((v) => v.pinning !== 'none')) return null;
  if (vm.vcpus > pcpus / 2) return null;
  const own = range(pcpus - vm.vcpus, vm.vcpus);
  const pool = range(0, pcpus - vm.vcpus);
  const cpus = `${own[0]}-${own[own.length - 1]}`;
  return {
    id: 'placement:isolate-worst',
    kind: 'placement',
    target: `${vmName}: pCPUs ${cpus} 1:1; other VMs 0-${pool[pool.length - 1]}`,
    summary: `pin ${vmName} 1:1 to pCPUs of its own and let the other VMs share the rest`,
    disruption: 'vm-restart',
    apply: applyIsolate(vmName, cpus),
    scenario: {
      ...scenario,
      vms: scenario.vms.map((v, i) =>
        i === index ? { ...v, pinning: 'dedicated', cpus: own } : { ...v, pinning: 'pool', cpus: pool },
      ),
    },
    model: cal.model,
  };
}

/** Kernels from the catalogue the node could install, and the patch sets, when vCPUs outnumber pCPUs. */
function kernelCandidates(cal: Calibration): WhatIfCandidate[] {
  const { scenario } = cal;
  const out: WhatIfCandidate[] = [];
  for (const u of upgradesFor(kernels(), scenario.host.kernel, cal.model))
    out.push({
      id: `kernel:${u.model}`,
      kind: 'kernel',
      target: u.model,
      summary: `install ${u.label} (${u.why.join(', ')}; modelled as ${u.model})`,
      scenario,
      model: u.model,
      disruption: 'reboot',
      apply: applyKernel(u.label),
    });
  for (const patch of patchesFor(cal.model))
    out.push({
      id: `kernel:${patch.id}`,
      kind: 'kernel',
      target: patch.model,
      summary: patch.summary,
      scenario,
      model: patch.model,
      disruption: 'reboot',
      apply: applyPatch(patch.source),
    });
  return out;
}

/**
 * A PV feature the node reports some guests are not offered (QEMU only offers it with -cpu host or
 * when named), on every VM that lacks it, where the host kernel has it.
 */
function pvCandidates(cal: Calibration, vmNames: readonly string[]): WhatIfCandidate[] {
  const { scenario } = cal;
  const out: WhatIfCandidate[] = [];
  for (const feature of Object.keys(PV_PROPERTY) as (keyof typeof PV_PROPERTY)[]) {
    if (!releaseAtLeast(scenario.host.kernel, PV_HOST_SINCE[feature])) continue;
    const lacking = cal.pv.flatMap((pv, i) => (pv && !pv[feature] ? [i] : []));
    if (lacking.length === 0) continue;
    const names = vmList(vmNames, scenario, lacking);
    out.push({
      id: `vm-setting:${PV_PROPERTY[feature]}`,
      kind: 'vm-setting',
      target: `${PV_PROPERTY[feature]} on ${names}`,
      summary: `offer ${names} the ${PV_PROPERTY[feature]} CPU feature (QEMU offers it only with -cpu host or when named)`,
      scenario: {
        ...scenario,
        vms: scenario.vms.map((v, i) =>
          lacking.includes(i)
            ? { ...v, workload: { ...v.workload, pv: { ...v.workload.pv, [feature]: true } } }
            : v,
        ),
      },
      model: cal.model,
      disruption: 'vm-restart',
      apply: applyPvFeature(feature, names),
    });
  }
  return out;
}

/**
 * Lift the CPU limit (cpu.max) of every VM that has one below its vCPU count: a vCPU throttled
 * with a lock held stalls every waiter until the next period, which the model replays (CFS
 * bandwidth control). KubeVirt sets the limit from the VM's (or its namespace's) CPU limit.
 */
function liftLimits(cal: Calibration, vmNames: readonly string[]): WhatIfCandidate | null {
  const { scenario } = cal;
  const limited = scenario.vms.flatMap((v, i) =>
    v.cpu?.limit !== undefined && v.cpu.limit < v.vcpus ? [i] : [],
  );
  if (limited.length === 0) return null;
  const names = vmList(vmNames, scenario, limited);
  return {
    id: 'vm-setting:cpu-limit',
    kind: 'vm-setting',
    target: `no CPU limit on ${names}`,
    summary: `lift the CPU limit of ${names}: throttled vCPUs holding locks make the others spin`,
    scenario: {
      ...scenario,
      vms: scenario.vms.map((v, i) => {
        if (!limited.includes(i) || !v.cpu) return v;
        const { limit: _limit, ...rest } = v.cpu;
        return { ...v, cpu: rest };
      }),
    },
    model: cal.model,
    disruption: 'vm-restart',
    apply: applyLiftLimit(names),
  };
}

/**
 * A PLE window four times the node's: fewer exits for spins that would end on their own, later
 * help for those that would not (KVM still grows it per vCPU on futile exits). Whether that pays
 * on this node is the model's call.
 */
function widerPleWindow(cal: Calibration): WhatIfCandidate {
  const { scenario } = cal;
  const window = pleConfigOf(scenario).base * 4;
  const parameter =
    scenario.host.cpu.vendor === 'intel' ? 'kvm_intel ple_window' : 'kvm_amd pause_filter_count';
  return {
    id: 'ple:window-x4',
    kind: 'ple',
    target: `${parameter.split(' ')[1]}=${window}`,
    summary: `a PLE window four times the node's (${parameter}=${window}): fewer exits for spins that end on their own`,
    scenario: { ...scenario, host: { ...scenario.host, ple: { ...scenario.host.ple, window } } },
    model: cal.model,
    disruption: 'module-reload',
    apply: applyModuleParameter(`${parameter}=${window}`),
  };
}

/**
 * No halt polling (kvm.halt_poll_ns=0), where the node reports polling on: a polling vCPU keeps
 * its pCPU until the poll ends (kvm_vcpu_halt() stops early only when another task becomes
 * runnable there), time the other vCPUs may need. Live from 6.1 (see applyHaltPoll).
 */
function noHaltPolling(cal: Calibration): WhatIfCandidate | null {
  const { scenario } = cal;
  if (!cal.haltPollNs) return null;
  const live = releaseAtLeast(scenario.host.kernel, [6, 1]);
  return {
    id: 'host-setting:halt-poll-off',
    kind: 'host-setting',
    target: 'halt_poll_ns=0',
    summary: `stop halt polling (kvm.halt_poll_ns ${cal.haltPollNs} → 0): polling vCPUs hold pCPUs other vCPUs wait for`,
    scenario: { ...scenario, host: { ...scenario.host, haltPollNs: 0 } },
    model: cal.model,
    disruption: live ? 'none' : 'vm-restart',
    apply: applyHaltPoll(0),
  };
}

/**
 * Every what-if worth replaying for a calibrated node: kernels it could install and the patch sets
 * when vCPUs outnumber pCPUs, PV features its guests lack, CPU limits lifted, PLE off when every
 * vCPU has a pCPU of its own, and isolating the VM that spins most. `vmNames` are the VMs' names
 * on the node (the scenario's are labels).
 */
export function whatIfCandidates(
  cal: Calibration,
  oversubscribed: boolean,
  worst: { index: number; name: string } | null,
  vmNames: readonly string[] = [],
): WhatIfCandidate[] {
  const out: WhatIfCandidate[] = [];
  const { scenario } = cal;
  if (oversubscribed) out.push(...kernelCandidates(cal), ...pvCandidates(cal, vmNames));
  const poll = oversubscribed ? noHaltPolling(cal) : null;
  if (poll) out.push(poll);
  const lift = liftLimits(cal, vmNames);
  if (lift) out.push(lift);
  if (scenario.vms.every((v) => v.pinning === 'dedicated') && scenario.host.ple.enabled)
    out.push({
      id: 'ple:off',
      kind: 'ple',
      target: scenario.host.cpu.vendor === 'intel' ? 'ple_gap=0' : 'pause_filter_count=0',
      summary:
        'every vCPU has a pCPU of its own: disable PLE (kvm_intel ple_gap=0 / kvm_amd pause_filter_count=0)',
      scenario: { ...scenario, host: { ...scenario.host, ple: { ...scenario.host.ple, enabled: false } } },
      model: cal.model,
      disruption: 'module-reload',
      apply: applyModuleParameter(
        scenario.host.cpu.vendor === 'intel' ? 'kvm_intel ple_gap=0' : 'kvm_amd pause_filter_count=0',
      ),
    });
  if (oversubscribed && scenario.host.ple.enabled) out.push(widerPleWindow(cal));
  if (oversubscribed && worst) {
    const c = isolate(cal, worst.index, worst.name);
    if (c) out.push(c);
  }
  return out;
}
