import { HostModel } from './host/host-model';
import { SVM_DEFAULTS, VMX_DEFAULTS, type PleConfig } from './kvm/ple';
import { modelByName, modelFor, type ModelDefinition } from './models';
import {
  addVcpu,
  emptyTotals,
  jainFairness,
  type SimulationResult,
  type VcpuResult,
  type VmResult,
} from './results';
import type { Scenario } from './scenario';

/** Synthetic thread ids start here, so they look like a host's tids. */
const TID_BASE = 10_000;

export function pleConfigOf(scenario: Scenario): PleConfig {
  const { cpu, ple } = scenario.host;
  const vmx = cpu.vendor === 'intel';
  const defaults = vmx ? VMX_DEFAULTS : SVM_DEFAULTS;
  return {
    vendor: vmx ? 'vmx' : 'svm',
    enabled: ple.enabled,
    base: ple.window ?? defaults.base,
    grow: ple.grow ?? defaults.grow,
    shrink: ple.shrink ?? defaults.shrink,
    max: ple.max ?? defaults.max,
    cyclesPerUnit: vmx ? 1 : cpu.pauseCycles,
    cpuGhz: cpu.ghz,
    exitCostNs: ple.exitCost,
  };
}

export function resolveModel(scenario: Scenario, name?: string): ModelDefinition {
  return name ? modelByName(name) : modelFor(scenario.host.kernel, scenario.host.model).model;
}

/** Builds the host model for a scenario without running it (tests drive it directly). */
export function buildHost(scenario: Scenario, model: ModelDefinition, seed: number): HostModel {
  return new HostModel(
    scenario,
    model.scheduler(scenario.host.pcpus),
    model.directedYield(),
    pleConfigOf(scenario),
    seed,
    new Set(model.features),
  );
}

/** Slices of simulated time between two progress reports. */
const PROGRESS_SLICES = 20;

/**
 * Runs one scenario under one model and seed. Same inputs, same result, to the byte. With
 * `progress`, the run advances in slices and reports simulated time done; slicing only chooses
 * where the event loop pauses, never which events run or in what order.
 */
export function simulate(
  scenario: Scenario,
  modelName?: string,
  seed = scenario.seed,
  progress?: (doneNs: number, totalNs: number) => void,
): SimulationResult {
  const model = resolveModel(scenario, modelName);
  const host = buildHost(scenario, model, seed);
  if (!progress) host.run(scenario.duration);
  else {
    host.start();
    for (let i = 1; i <= PROGRESS_SLICES; i++) {
      const untilNs = Math.round((scenario.duration * i) / PROGRESS_SLICES);
      host.advanceTo(untilNs);
      progress(untilNs, scenario.duration);
    }
    host.finish();
  }
  return summarize(host, model, seed);
}

export function summarize(host: HostModel, model: ModelDefinition, seed: number): SimulationResult {
  const scenario = host.scenario;
  const vcpus: VcpuResult[] = host.vcpus.map((v) => ({
    vm: host.vms[v.vm]!.name,
    vcpu: v.index,
    tid: TID_BASE + v.thread.id,
    pleExits: v.pleExits,
    pleWindowUpdates: v.pleWindowUpdates,
    spinNs: v.spinNs,
    usefulNs: v.usefulNs,
    haltedNs: v.haltedNs,
    runNs: v.thread.runNs,
    waitNs: v.thread.waitNs,
    timeslices: v.thread.timeslices,
    involuntarySwitches: v.thread.involuntarySwitches,
    voluntarySwitches: v.thread.voluntarySwitches,
    haltExits: v.haltExits,
    yieldAttempts: v.yieldAttempts,
    yieldSuccesses: v.yieldSuccesses,
    boostsHonoured: v.boostsHonoured,
    overboosts: v.overboosts,
    lostOpportunities: v.lostOpportunities,
    criticalSections: v.criticalSections,
    ipiRounds: v.ipiRounds,
    pvYieldAttempted: v.pvYieldAttempted,
    pvYieldSuccessful: v.pvYieldSuccessful,
    tlbFlushesDeferred: v.tlbFlushesDeferred,
    tlbFlushesLazy: v.tlbFlushesLazy,
    pollNs: v.pollNs,
    throttledNs: v.thread.throttledNs,
    ipisSent: Array.from(v.ipisSent),
  }));
  const capacity = scenario.duration * scenario.host.pcpus;
  const vms: VmResult[] = host.vms.map((vm) => {
    const totals = emptyTotals();
    let criticalSections = 0;
    let ipiRounds = 0;
    for (const v of vm.vcpus) {
      const r = vcpus[v.id]!;
      addVcpu(totals, r);
      criticalSections += r.criticalSections;
      ipiRounds += r.ipiRounds;
    }
    return {
      name: vm.name,
      vcpus: vm.vcpus.length,
      ...totals,
      criticalSections,
      ipiRounds,
      cpuShare: totals.runNs / capacity,
      // cpu.stat of the VM's cgroup: throttled_usec (summed over its cfs_rqs), nr_throttled, nr_periods.
      throttledNs: vm.bw?.throttledNs ?? 0,
      nrThrottled: vm.bw?.nrThrottled ?? 0,
      nrPeriods: vm.bw?.nrPeriods ?? 0,
    };
  });
  const totals = emptyTotals();
  for (const r of vcpus) addVcpu(totals, r);
  return {
    model: model.name,
    kernel: scenario.host.kernel,
    seed,
    durationNs: scenario.duration,
    pcpus: scenario.host.pcpus,
    events: host.events,
    totals: { ...totals, jainFairness: jainFairness(vms.map((vm) => vm.runNs / vm.vcpus)) },
    vms,
    vcpus,
    host: {
      busyNs: host.rqs.map((rq) => rq.busyNs),
      idleNs: Array.from(host.idleNs),
      yieldCount: Array.from(host.yieldCount),
    },
  };
}
