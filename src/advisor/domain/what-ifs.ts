import type { Scenario } from '../../sim/scenario';
import type { RecommendationKind } from '../../telemetry';
import type { Calibration } from './calibrate';

/** One change to replay the fitted workload under: another kernel, PLE tuning, or a placement. */
export interface WhatIfCandidate {
  /** Stable across alike nodes (a cached prediction is found by it): never a VM or node name. */
  id: string;
  kind: RecommendationKind;
  target: string;
  summary: string;
  scenario: Scenario;
  model: string;
}

const KERNELS: Record<string, string> = {
  'ple-kvm': 'run a kernel with the debooster and strict boost (VEE 2021 patches)',
  'stock-6.19': 'upgrade to Linux 6.19 (EEVDF yield forfeit, fixed on_spin round-robin)',
};

const range = (from: number, count: number) => Array.from({ length: count }, (_, i) => from + i);

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
  return {
    id: 'placement:isolate-worst',
    kind: 'placement',
    target: `${vmName}: pCPUs ${own[0]}-${own[own.length - 1]} 1:1; other VMs 0-${pool[pool.length - 1]}`,
    summary: `pin ${vmName} 1:1 to pCPUs of its own and let the other VMs share the rest`,
    scenario: {
      ...scenario,
      vms: scenario.vms.map((v, i) =>
        i === index ? { ...v, pinning: 'dedicated', cpus: own } : { ...v, pinning: 'pool', cpus: pool },
      ),
    },
    model: cal.model,
  };
}

/**
 * Every what-if worth replaying for a calibrated node: other kernels when vCPUs outnumber pCPUs,
 * PLE off when every vCPU has a pCPU of its own, and isolating the VM that spins most.
 */
export function whatIfCandidates(
  cal: Calibration,
  oversubscribed: boolean,
  worst: { index: number; name: string } | null,
): WhatIfCandidate[] {
  const out: WhatIfCandidate[] = [];
  const { scenario } = cal;
  if (oversubscribed)
    for (const [model, summary] of Object.entries(KERNELS))
      if (model !== cal.model)
        out.push({ id: `kernel:${model}`, kind: 'kernel', target: model, summary, scenario, model });
  if (scenario.vms.every((v) => v.pinning === 'dedicated') && scenario.host.ple.enabled)
    out.push({
      id: 'ple:off',
      kind: 'ple',
      target: scenario.host.cpu.vendor === 'intel' ? 'ple_gap=0' : 'pause_filter_count=0',
      summary:
        'every vCPU has a pCPU of its own: disable PLE (kvm_intel ple_gap=0 / kvm_amd pause_filter_count=0)',
      scenario: { ...scenario, host: { ...scenario.host, ple: { ...scenario.host.ple, enabled: false } } },
      model: cal.model,
    });
  if (oversubscribed && worst) {
    const c = isolate(cal, worst.index, worst.name);
    if (c) out.push(c);
  }
  return out;
}
