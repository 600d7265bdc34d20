import { modelFor } from '../../sim/models';
import { parseScenario, type Scenario, type ScenarioInput } from '../../sim/scenario';
import { simulate } from '../../sim/simulate';
import type { FittedWorkload, InventoryVm, NodeInventory } from '../../telemetry';
import type { WindowSample } from './window-sample';

/** The PV features a VM is offered, as the node reports them. */
export type VmPv = NonNullable<InventoryVm['pv']>;

/** What one VM's counters say over a window (sums), before any model is fitted. */
export interface VmObservation {
  name: string;
  vcpus: number;
  runNs: number;
  waitNs: number;
  coveredNs: number;
  pleExits: number;
  /** Null when the node could not trace IPIs or give KVM statistics. */
  ipis: number | null;
  haltExits: number | null;
  pinned: number[][];
}

/** The lock rate and IPI fan-out a fit settled on, the PLE rate it gave and how close that came: the warm start of the next fit. */
export interface FitHint {
  lockRate: number;
  targets: number;
  pleRate: number;
  residual: number;
}

interface Fit {
  rate: number;
  targets: number;
  ple: number;
}

/** What calibration could see and what it had to assume. */
export interface Calibration {
  scenario: Scenario;
  model: string;
  /** Relative error of the fitted model's PLE exit rate against the observed one. */
  residual: number;
  /** Observed PLE exits per vCPU-second and the fitted model's. */
  observedPleRate: number;
  fittedPleRate: number;
  /** Per VM, in inventory order. */
  workloads: FittedWorkload[];
  /** Per VM, the paravirtual features the node reported it is offered (null: not reported). */
  pv: (VmPv | null)[];
  /** kvm.halt_poll_ns as the node reported it (null: not reported; the model then assumes 200 µs). */
  haltPollNs: number | null;
  hint: FitHint;
  assumptions: string[];
  /** Model runs the fit took (a warm start needs fewer). */
  runs: number;
}

/** Defaults for what telemetry cannot show; each one used is listed in the calibration's assumptions. */
const ASSUMED = { userShare: 0.33, lockCount: 8, holdUs: 4, handlerUs: 3 } as const;
/** kvm_apic_ipi shows IPIs, not rounds: the receivers per round are fitted among these. */
/** IPI fan-outs tried, the middle one first. */
const IPI_TARGETS = [2, 1, 3] as const;
/**
 * A fit this close to the observed PLE rate is as good as any: the model cache bins the rate at
 * ±5 % too. The other fan-outs are searched only when the first misses by more (each search is
 * ten replays, about half of a cache miss's CPU time).
 */
const FIT_TOLERANCE = 0.05;
/**
 * A warm start that misses the observed rate by more than this falls back to the full search —
 * unless the fit it started from came no closer (a rate the model cannot reach on this node: the
 * search would end where the warm start did).
 */
const WARM_TOLERANCE = 0.15;
/** Runs of a warm start: from the hint, then secant steps on the log-log PLE curve. */
const WARM_STEPS = 4;
/**
 * Runs of a start without a hint: the same secant steps from the middle of the lock rates on a log
 * scale (about 1,400 a second), ×4 at most per step, so the rates the fleet fits (10² to 10⁵) are
 * reached in two to four steps; the bisection runs only if they miss.
 */
const COLD_STEPS = 7;
const LOCK_RATES = { min: 10, max: 200_000 } as const;

/**
 * Simulated time per run, scaled so a run costs about the same on any host size: events grow with
 * vCPUs, and a bigger host gives as many PLE exits per run in less simulated time. An 8-pCPU host
 * is fitted on 300 ms and predicted on 500 ms, a 64-pCPU one on 100 and 125 ms. Predictions were
 * twice as long before a what-if and its baseline drew the same guest (common random numbers):
 * on 16 nodes of the bench's diverse fleet, halving them halved the what-ifs' CPU, left all 84
 * recommend-or-not verdicts as they were and moved the median predicted change by 3 points of
 * spin time and 0.9 of PLE exits (`npm run bench -- predict`).
 */
export function modelDurationsNs(pcpus: number): { fitNs: number; predictNs: number } {
  const scale = Math.min(1, 8 / pcpus);
  return {
    fitNs: Math.round(Math.max(100e6, 300e6 * scale)),
    predictNs: Math.round(Math.max(125e6, 0.5e9 * scale)),
  };
}

/** How far a model's PLE rate is from the observed one, relative to it (1 when none was observed but some modelled). */
export function relativeMiss(fittedPleRate: number, observedPleRate: number): number {
  if (observedPleRate > 0) return Math.abs(fittedPleRate - observedPleRate) / observedPleRate;
  return fittedPleRate > 0 ? 1 : 0;
}

/** PLE exits per vCPU-second over the whole node. */
export function pleRateOf(vms: readonly VmObservation[]): number {
  const vcpuSeconds = vms.reduce((a, v) => a + (v.vcpus * v.coveredNs) / 1e9, 0);
  return vms.reduce((a, v) => a + v.pleExits, 0) / Math.max(vcpuSeconds, 1e-9);
}

export function observe(inventory: NodeInventory, samples: readonly WindowSample[]): VmObservation[] {
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
      const v = s.vms.find((x) => x.vm === vm.name);
      if (!v) {
        obs.haltExits = null;
        continue;
      }
      obs.runNs += v.runNs;
      obs.waitNs += v.waitNs;
      obs.pleExits += v.pleExits;
      if (v.vcpus.length > 0)
        obs.ipis = obs.ipis === null || v.incomplete.includes('ipis') ? null : obs.ipis + v.ipis;
      obs.haltExits =
        v.haltExits === undefined || obs.haltExits === null ? null : obs.haltExits + v.haltExits;
    }
    return obs;
  });
}

/** The workload each VM's counters give directly; only the lock rate and IPI fan-out are left to fit. */
export function workloadOf(vm: VmObservation, lockRate: number, targets: number): FittedWorkload {
  const runnableShare = (vm.runNs + vm.waitNs) / Math.max(1, vm.coveredNs * vm.vcpus);
  // Each burst of work ends in HLT: bursts last busy time / halts.
  const burstNs = vm.haltExits ? Math.max(100_000, (vm.runNs + vm.waitNs) / vm.haltExits) : 5e6;
  const runSeconds = vm.runNs / 1e9;
  const dedicated =
    vm.pinned.every((a) => a.length === 1) && new Set(vm.pinned.map((a) => a[0])).size === vm.pinned.length;
  return {
    pinning: dedicated ? 'dedicated' : 'none',
    busy: Math.max(0.01, Math.min(1, runnableShare)),
    burstUs: Math.round(burstNs / 1000),
    locksPerSecond: lockRate,
    holdUs: ASSUMED.holdUs,
    ipisPerSecond: vm.ipis && runSeconds > 0 ? vm.ipis / targets / runSeconds : 0,
    ipiTargets: targets,
  };
}

/** A DNS-1123 label for the scenario (inventory names are QEMU domain names). */
const label = (name: string) =>
  name
    .toLowerCase()
    .replace(/[^a-z0-9-]/g, '-')
    .replace(/^-+|-+$/g, '') || 'vm';

/** A model scenario of a node: its host and, per VM, a fitted workload and where its vCPUs may run. */
export function nodeScenario(
  host: Pick<NodeInventory, 'pcpus' | 'kernel' | 'cpuVendor' | 'ple' | 'ipiVirtualized' | 'haltPollNs'>,
  vms: {
    name: string;
    vcpus: number;
    workload: FittedWorkload;
    cpus?: number[];
    /** The VM cgroup's cpu.max, when the node reports one: replayed as CFS bandwidth control. */
    cpuLimit?: { quotaUs: number; periodUs: number };
    /** The PV features QEMU offers the guest, when the node reports them (else none assumed). */
    pv?: VmPv;
  }[],
  durationNs: number,
  seed: number,
): Scenario {
  const input: ScenarioInput = {
    host: {
      pcpus: host.pcpus,
      kernel: host.kernel,
      cpu: { vendor: host.cpuVendor === 'amd' ? 'amd' : 'intel' },
      ple: host.ple
        ? {
            enabled: host.ple.enabled,
            window: host.ple.window || undefined,
            grow: host.ple.grow,
            shrink: host.ple.shrink,
            max: host.ple.max,
          }
        : {},
      apicv: host.ipiVirtualized !== false,
      ...(host.haltPollNs !== undefined ? { haltPollNs: Math.min(host.haltPollNs, 10_000_000) } : {}),
      // A CPU limit is a VM cgroup's cpu.max, so the node has per-VM cgroups (libvirt's machine
      // scopes, KubeVirt's pods). Without one, per-thread fairness stays the replayed assumption.
      ...(vms.some((vm) => vm.cpuLimit) ? { cgroups: 'per-vm' as const } : {}),
    },
    vms: vms.map((vm, i) => ({
      name: `${label(vm.name).slice(0, 56)}-${i}`,
      vcpus: vm.vcpus,
      pinning: vm.cpus ? vm.workload.pinning : 'none',
      ...(vm.cpus ? { cpus: vm.cpus.join(',') } : {}),
      ...(vm.cpuLimit
        ? { cpu: { limit: vm.cpuLimit.quotaUs / vm.cpuLimit.periodUs, period: `${vm.cpuLimit.periodUs}us` } }
        : {}),
      workload: {
        busy: vm.workload.busy,
        burst: `${Math.max(1, Math.round(vm.workload.burstUs))}us`,
        userShare: ASSUMED.userShare,
        locks: {
          count: ASSUMED.lockCount,
          perSecond: vm.workload.locksPerSecond,
          hold: `${vm.workload.holdUs}us`,
        },
        ipis: {
          perSecond: vm.workload.ipisPerSecond,
          targets: vm.workload.ipiTargets,
          handler: `${ASSUMED.handlerUs}us`,
        },
        ...(vm.pv
          ? {
              pvSpinlocks: vm.pv.spinlocks,
              pv: { tlbFlush: vm.pv.tlbFlush, schedYield: vm.pv.schedYield, ipi: vm.pv.ipi },
            }
          : {}),
      },
    })),
    duration: durationNs / 1e6,
    seed,
  };
  return parseScenario(input, 'fitted node');
}

/**
 * Fits the node's workload so that the model of its current kernel reproduces the observed PLE
 * exit rate: busy share, burst length and IPI rate come straight from the counters; the lock rate,
 * which no counter shows, is found by bisection on a log scale (PLE exits grow with it), for each
 * plausible IPI fan-out. With a hint (the node's previous fit, or an alike node's) secant steps
 * start there, and the full search runs only if they miss.
 */
export function calibrate(
  inventory: NodeInventory,
  vms: readonly VmObservation[],
  seed = 1,
  hint?: FitHint,
): Calibration {
  const model = modelFor(inventory.kernel, inventory.model).model.name;
  const { fitNs, predictNs } = modelDurationsNs(inventory.pcpus);
  const observedPleRate = pleRateOf(vms);
  const scenarioOf = (lockRate: number, targets: number, durationNs: number) =>
    fittedScenario(
      inventory,
      vms,
      vms.map((vm) => workloadOf(vm, lockRate, targets)),
      durationNs,
      seed,
    );
  let runs = 0;
  const rateOf = (lockRate: number, targets: number) => {
    runs++;
    const r = simulate(scenarioOf(lockRate, targets, fitNs), model, seed);
    return r.totals.pleExits / ((r.vcpus.length * fitNs) / 1e9);
  };
  // Targets only matter when there are IPIs to fan out.
  const anyIpis = vms.some((v) => (v.ipis ?? 0) > 0);
  const search = (targets: number, lo: number, hi: number, steps: number): Fit => {
    let fit = { rate: lo, targets, ple: rateOf(lo, targets) };
    if (observedPleRate <= fit.ple) return fit;
    for (let i = 0; i < steps; i++) {
      const mid = Math.sqrt(lo * hi);
      const ple = rateOf(mid, targets);
      if (Math.abs(ple - observedPleRate) < Math.abs(fit.ple - observedPleRate))
        fit = { rate: mid, targets, ple };
      if (ple < observedPleRate) lo = mid;
      else hi = mid;
    }
    return fit;
  };
  const miss = (f: { ple: number }) => relativeMiss(f.ple, observedPleRate);
  /**
   * From a hint (this node's previous fit, or an alike node's): PLE exits grow with the lock rate
   * about as a power law, so the first run is at the hint's rate scaled by how far the observed
   * PLE rate moved from the hint's (in proportion), and each next step solves the line through the
   * last two runs on log-log axes. A node whose load drifted a little is fitted in one or two runs
   * instead of the bisection's six to ten; a step is at most ×4, and a curve that is flat or
   * falling there ends the warm start.
   */
  const warm = (h: FitHint, steps = WARM_STEPS, cold = false): Fit => {
    const clamp = (r: number) => Math.min(LOCK_RATES.max, Math.max(LOCK_RATES.min, r));
    const step = (rate: number, ple: number, slope: number) =>
      clamp(rate * Math.min(4, Math.max(0.25, ple > 0 ? (observedPleRate / ple) ** (1 / slope) : 4)));
    const first = h.pleRate > 0 && observedPleRate > 0 ? step(h.lockRate, h.pleRate, 1) : clamp(h.lockRate);
    let prev: Fit | null = null;
    let fit: Fit = { rate: first, targets: h.targets, ple: rateOf(first, h.targets) };
    let best = fit;
    for (let i = 1; i < steps && miss(best) > FIT_TOLERANCE && observedPleRate > 0; i++) {
      let slope =
        prev && prev.ple > 0 && fit.ple > 0 && prev.rate !== fit.rate
          ? Math.log(fit.ple / prev.ple) / Math.log(fit.rate / prev.rate)
          : 1;
      // Flat where a cold start begins: locks do not yet drive the spinning (IPIs do); ×4 on.
      if (!(slope > 0.05)) {
        if (!cold) break;
        slope = 1;
      }
      const rate = step(fit.rate, fit.ple, slope);
      if (rate === fit.rate) break;
      prev = fit;
      fit = { rate, targets: h.targets, ple: rateOf(rate, h.targets) };
      if (miss(fit) < miss(best)) best = fit;
    }
    return best;
  };
  const fanOuts = anyIpis ? IPI_TARGETS : [1];
  const middle = Math.sqrt(LOCK_RATES.min * LOCK_RATES.max);
  let best = hint ? warm(hint) : null;
  if (!best || miss(best) > Math.max(WARM_TOLERANCE, (hint?.residual ?? 0) + FIT_TOLERANCE)) {
    // Secant steps from the middle for each fan-out in turn until one fits; where none comes
    // close, the bisection for the fan-out that came closest (a curve too noisy or too flat for
    // steps). Nothing observed: the bisection's first run, at the lowest rate, is the fit.
    for (const targets of observedPleRate > 0 ? fanOuts : []) {
      const fit = warm({ lockRate: middle, targets, pleRate: 0, residual: 0 }, COLD_STEPS, true);
      if (!best || miss(fit) < miss(best)) best = fit;
      if (miss(best) <= FIT_TOLERANCE) break;
    }
    if (!best || miss(best) > WARM_TOLERANCE) {
      const fit = search(best?.targets ?? fanOuts[0], LOCK_RATES.min, LOCK_RATES.max, 9);
      if (!best || miss(fit) < miss(best)) best = fit;
    }
  }
  const lockRate = Math.round(best.rate);
  const scenario = scenarioOf(lockRate, best.targets, predictNs);
  return {
    scenario,
    model,
    residual: miss(best),
    observedPleRate,
    fittedPleRate: best.ple,
    workloads: vms.map((vm) => workloadOf(vm, lockRate, best.targets)),
    ...reportedSettings(inventory),
    hint: { lockRate, targets: best.targets, pleRate: best.ple, residual: miss(best) },
    assumptions: assumptionsOf(vms, best.targets),
    runs,
  };
}

/** The settings the node reported that what-ifs may change (null: not reported). */
export function reportedSettings(inventory: NodeInventory): Pick<Calibration, 'pv' | 'haltPollNs'> {
  return { pv: inventory.vms.map((v) => v.pv ?? null), haltPollNs: inventory.haltPollNs ?? null };
}

/** The node replayed with these fitted workloads (one per VM, in inventory order). */
export function fittedScenario(
  inventory: NodeInventory,
  vms: readonly VmObservation[],
  workloads: readonly FittedWorkload[],
  durationNs: number,
  seed: number,
): Scenario {
  return nodeScenario(
    inventory,
    vms.map((vm, i) => ({
      name: vm.name,
      vcpus: vm.vcpus,
      workload: workloads[i]!,
      cpus: vm.pinned.every((a) => a.length === 1)
        ? vm.pinned.map((a) => a[0]!)
        : inventory.vms[i]!.vcpus[0]?.affinity,
      cpuLimit: inventory.vms[i]!.cpuLimit,
      pv: inventory.vms[i]!.pv,
    })),
    durationNs,
    seed,
  );
}

/** What a fit takes for granted, listed with every analysis made from it. */
export function assumptionsOf(vms: readonly VmObservation[], ipiTargets: number): string[] {
  const assumptions = [
    `user-mode share ${ASSUMED.userShare} of compute (not observable)`,
    `${ASSUMED.lockCount} locks held ${ASSUMED.holdUs} µs on average; lock rate fitted to PLE exits`,
    `${ipiTargets} receiver(s) per IPI round (fitted with the lock rate)`,
  ];
  if (vms.some((v) => v.ipis === null))
    assumptions.push('no IPI counts (kvm_apic_ipi not traced): IPI rate taken as 0');
  if (vms.some((v) => v.haltExits === null))
    assumptions.push('no halt exits (no KVM stats): 5 ms bursts assumed');
  return assumptions;
}
