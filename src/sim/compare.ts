import { modelFor } from './models';
import { TOTAL_KEYS, type SimulationResult } from './results';
import type { Scenario } from './scenario';
import { simulate } from './simulate';
import { estimate, relativeChange } from './statistics';

export const COMPARED = [...TOTAL_KEYS, 'jainFairness'] as const;
export type ComparedKey = (typeof COMPARED)[number];

export interface ModelComparison {
  name: string;
  /** Means over the seeds. */
  totals: Record<ComparedKey, number>;
  /** 95 % interval half-widths of those means (0 with one seed). */
  ci95: Record<ComparedKey, number>;
  vms: {
    name: string;
    vcpus: number;
    cpuShare: number;
    pleExits: number;
    spinNs: number;
    usefulNs: number;
    work: number;
  }[];
}

export interface Comparison {
  scenario: string;
  seeds: number[];
  models: ModelComparison[];
  relative: { model: string; pleExits: number; spinNs: number; usefulNs: number; work: number }[];
}

/** Default models for a scenario: the stock model of its kernel, then the paper's patched kernel. */
export function defaultModels(scenario: Scenario): string[] {
  const stock = modelFor(scenario.host.kernel, scenario.host.model).model.name;
  return stock === 'ple-kvm' ? [stock] : [stock, 'ple-kvm'];
}

/** The same scenario under each model and seed (seed, seed+1, …). */
export function compare(
  scenario: Scenario,
  name: string,
  models: string[],
  seedCount: number,
  progress?: (done: number, total: number) => void,
): Comparison {
  const seeds = Array.from({ length: seedCount }, (_, i) => scenario.seed + i);
  const total = models.length * seeds.length;
  let done = 0;
  const results: ModelComparison[] = models.map((model) => {
    const runs: SimulationResult[] = seeds.map((seed) => {
      const r = simulate(scenario, model, seed);
      progress?.(++done, total);
      return r;
    });
    const totals = {} as Record<ComparedKey, number>;
    const ci95 = {} as Record<ComparedKey, number>;
    for (const key of COMPARED) {
      const e = estimate(runs.map((r) => r.totals[key]));
      totals[key] = e.mean;
      ci95[key] = e.ci95;
    }
    const vms = runs[0]!.vms.map((vm, i) => {
      const mean = (pick: (r: SimulationResult) => number) => estimate(runs.map(pick)).mean;
      return {
        name: vm.name,
        vcpus: vm.vcpus,
        cpuShare: mean((r) => r.vms[i]!.cpuShare),
        pleExits: mean((r) => r.vms[i]!.pleExits),
        spinNs: mean((r) => r.vms[i]!.spinNs),
        usefulNs: mean((r) => r.vms[i]!.usefulNs),
        work: mean((r) => r.vms[i]!.work),
      };
    });
    return { name: model, totals, ci95, vms };
  });
  const base = results[0]!.totals;
  return {
    scenario: name,
    seeds,
    models: results,
    relative: results.map((m) => ({
      model: m.name,
      pleExits: relativeChange(m.totals.pleExits, base.pleExits),
      spinNs: relativeChange(m.totals.spinNs, base.spinNs),
      usefulNs: relativeChange(m.totals.usefulNs, base.usefulNs),
      work: relativeChange(m.totals.work, base.work),
    })),
  };
}
