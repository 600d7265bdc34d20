import { modelForKernel } from '../../sim/models';
import { parseScenario, type Scenario, type ScenarioInput } from '../../sim/scenario';
import { simulate } from '../../sim/simulate';
import type { NodeInventory, NodeSample } from '../../telemetry';

/** What calibration could see and what it had to assume. */
export interface Calibration {
  scenario: Scenario;
  model: string;
  /** Relative error of the fitted model's PLE exit rate against the observed one. */
  residual: number;
  /** Observed PLE exits per vCPU-second and the fitted model's. */
  observedPleRate: number;
  fittedPleRate: number;
  assumptions: string[];
}

/** Defaults for what telemetry cannot show; each one used is listed in the calibration's assumptions. */
const ASSUMED = { userShare: 0.33, lockCount: 8, hold: '4us', handler: '3us' } as const;
/** kvm_apic_ipi shows IPIs, not rounds: the receivers per round are fitted among these. */
const IPI_TARGETS = [1, 2, 3] as const;
const FIT_DURATION = '300ms';

interface VmObservation {
  name: string;
  vcpus: number;
  runNs: number;
  waitNs: number;
  coveredNs: number;
  pleExits: number;
  ipis: number | null;
  haltExits: number | null;
  pinned: number[][];
}

function observe(inventory: NodeInventory, samples: readonly NodeSample[]): VmObservation[] {
  return inventory.vms.map((vm) => {
    const obs: VmObservation = {
      name: vm.name,
      vcpus: vm.vcpus.length,
      runNs: 0,
      waitNs: 0,
      coveredNs: 0,
      pleExits: 0,
      ipis: 0,
      haltExits: 0,
      pinned: vm.vcpus.map((v) => v.affinity),
    };
    for (const s of samples) {
      obs.coveredNs += s.intervalMs * 1e6;
      for (const v of s.vcpus.filter((x) => x.vm === vm.name)) {
        obs.runNs += v.runNs ?? 0;
        obs.waitNs += v.waitNs ?? 0;
        obs.pleExits += v.pleExits ?? 0;
        obs.ipis =
          v.ipisSent === undefined || obs.ipis === null
            ? null
            : obs.ipis + v.ipisSent.reduce((a, x) => a + x.count, 0);
      }
      const stats = s.vms.find((x) => x.vm === vm.name);
      obs.haltExits =
        stats?.haltExits === undefined || obs.haltExits === null ? null : obs.haltExits + stats.haltExits;
    }
    return obs;
  });
}

/** A scenario for the node with every VM's lock rate set to `lockRate`. */
function scenarioFor(
  inventory: NodeInventory,
  vms: VmObservation[],
  lockRate: number,
  targets: number,
  seed: number,
): ScenarioInput {
  const allCpus = `0-${inventory.pcpus - 1}`;
  return {
    host: {
      pcpus: inventory.pcpus,
      kernel: inventory.kernel,
      cpu: { vendor: inventory.cpuVendor === 'amd' ? 'amd' : 'intel' },
      ple: inventory.ple
        ? {
            enabled: inventory.ple.enabled,
            window: inventory.ple.window || undefined,
            grow: inventory.ple.grow,
            shrink: inventory.ple.shrink,
            max: inventory.ple.max,
          }
        : {},
      apicv: inventory.ipiVirtualized !== false,
    },
    vms: vms.map((vm) => {
      const runnableShare = Math.min(1, (vm.runNs + vm.waitNs) / Math.max(1, vm.coveredNs * vm.vcpus));
      const busy = Math.max(0.01, Math.min(1, runnableShare));
      const runSeconds = vm.runNs / 1e9;
      // Each burst of work ends in HLT: bursts last busy time / halts.
      const burstNs = vm.haltExits ? Math.max(100_000, (vm.runNs + vm.waitNs) / vm.haltExits) : 5e6;
      const dedicated =
        vm.pinned.every((a) => a.length === 1) &&
        new Set(vm.pinned.map((a) => a[0])).size === vm.pinned.length;
      return {
        name:
          vm.name
            .toLowerCase()
            .replace(/[^a-z0-9-]/g, '-')
            .replace(/^-+|-+$/g, '') || 'vm',
        vcpus: vm.vcpus,
        pinning: dedicated ? 'dedicated' : 'none',
        ...(dedicated ? { cpus: vm.pinned.map((a) => a[0]!).join(',') } : { cpus: allCpus }),
        workload: {
          busy,
          burst: `${Math.round(burstNs / 1000)}us`,
          userShare: ASSUMED.userShare,
          locks: { count: ASSUMED.lockCount, perSecond: lockRate, hold: ASSUMED.hold },
          ipis: {
            perSecond: vm.ipis && runSeconds > 0 ? vm.ipis / targets / runSeconds : 0,
            targets,
            handler: ASSUMED.handler,
          },
        },
      };
    }),
    duration: FIT_DURATION,
    seed,
  };
}

/**
 * Fits the node's workload so that the model of its current kernel reproduces the observed PLE
 * exit rate: busy share, burst length and IPI rate come straight from the counters; the lock rate,
 * which no counter shows, is found by bisection on a log scale (PLE exits grow with it).
 */
export function calibrate(inventory: NodeInventory, samples: readonly NodeSample[], seed = 1): Calibration {
  const vms = observe(inventory, samples);
  const model = modelForKernel(inventory.kernel).model.name;
  const vcpuSeconds = vms.reduce((a, v) => a + (v.vcpus * v.coveredNs) / 1e9, 0);
  const observedPleRate = vms.reduce((a, v) => a + v.pleExits, 0) / Math.max(vcpuSeconds, 1e-9);
  const rateOf = (lockRate: number, targets: number) => {
    const s = parseScenario(scenarioFor(inventory, vms, lockRate, targets, seed));
    const r = simulate(s, model, seed);
    return r.totals.pleExits / ((r.vcpus.length * s.duration) / 1e9);
  };
  let best = { rate: 10, targets: 1, ple: Infinity };
  for (const targets of IPI_TARGETS) {
    let lo = 10;
    let hi = 200_000;
    let fit = { rate: lo, targets, ple: rateOf(lo, targets) };
    if (observedPleRate > fit.ple) {
      for (let i = 0; i < 9; i++) {
        const mid = Math.sqrt(lo * hi);
        const ple = rateOf(mid, targets);
        if (Math.abs(ple - observedPleRate) < Math.abs(fit.ple - observedPleRate))
          fit = { rate: mid, targets, ple };
        if (ple < observedPleRate) lo = mid;
        else hi = mid;
      }
    }
    if (Math.abs(fit.ple - observedPleRate) < Math.abs(best.ple - observedPleRate)) best = fit;
  }
  const scenario = parseScenario({
    ...scenarioFor(inventory, vms, Math.round(best.rate), best.targets, seed),
    duration: '1s',
  });
  const assumptions = [
    `user-mode share ${ASSUMED.userShare} of compute (not observable)`,
    `${ASSUMED.lockCount} locks held ${ASSUMED.hold} on average; lock rate fitted to PLE exits`,
    `${best.targets} receiver(s) per IPI round (fitted with the lock rate)`,
  ];
  if (vms.some((v) => v.ipis === null))
    assumptions.push('no IPI counts (kvm_apic_ipi not traced): IPI rate taken as 0');
  if (vms.some((v) => v.haltExits === null))
    assumptions.push('no halt exits (no KVM stats): 5 ms bursts assumed');
  return {
    scenario,
    model,
    residual:
      observedPleRate > 0 ? Math.abs(best.ple - observedPleRate) / observedPleRate : best.ple > 0 ? 1 : 0,
    observedPleRate,
    fittedPleRate: best.ple,
    assumptions,
  };
}
