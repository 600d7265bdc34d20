import { buildHost, summarize } from '../sim/simulate';
import type { SimulationResult } from '../sim/results';
import { estimate } from '../sim/statistics';
import type { Side, ValidationCase } from './case-file';
import { withinBand } from './verdict';

export interface CaseResult {
  name: string;
  file: string;
  source: string;
  setup: string;
  metric: ValidationCase['input']['metric'];
  published: { change: number };
  predicted: { change: number; low: number; high: number; perSeed: number[] };
  withinBand: boolean;
  assumptions: string[];
  /** CPU seconds the case's runs took. */
  cpuSeconds: number;
}

const METRIC: Record<CaseResult['metric'], (vm: SimulationResult['vms'][number]) => number> = {
  useful: (vm) => vm.usefulNs,
  spin: (vm) => vm.spinNs,
  pleExits: (vm) => vm.pleExits,
  yieldCalls: (vm) => vm.yieldAttempts,
};

function run(side: Side, seed: number): SimulationResult {
  const host = buildHost(side.scenario, side.model, seed);
  host.run(side.scenario.duration);
  return summarize(host, side.model, seed);
}

/** The metric summed over the measured VMs (a spec's name covers its copies `name-i`). */
function measure(c: ValidationCase, result: SimulationResult): number {
  const names = c.input.measure?.vms;
  const pick = METRIC[c.input.metric];
  return result.vms
    .filter((vm) => !names || names.some((n) => vm.name === n || vm.name.startsWith(`${n}-`)))
    .reduce((a, vm) => a + pick(vm), 0);
}

/**
 * Runs both sides on the same seeds (common random numbers: the same guest draws on both
 * kernels, so the difference is the kernel's) and gives the mean relative change with its 95 %
 * interval over the seeds, and the verdict.
 */
export function runCase(c: ValidationCase, seeds: number): CaseResult {
  const started = process.cpuUsage();
  const perSeed: number[] = [];
  for (let i = 0; i < seeds; i++) {
    const seed = c.baseline.scenario.seed + i;
    const base = measure(c, run(c.baseline, seed));
    const treated = measure(c, run(c.treatment, seed));
    perSeed.push(base === 0 ? 0 : treated / base - 1);
  }
  const { mean, ci95 } = estimate(perSeed);
  const used = process.cpuUsage(started);
  const s = c.baseline.scenario;
  const vms = s.vms.map((vm) => `${vm.count > 1 ? `${vm.count} × ` : ''}${vm.vcpus}`).join(' + ');
  return {
    name: c.input.name,
    file: c.file,
    source: c.input.source,
    setup: `${s.host.pcpus} pCPUs, ${vms} vCPUs; ${c.baseline.label} → ${c.treatment.label}`,
    metric: c.input.metric,
    published: { change: c.publishedChange },
    predicted: { change: mean, low: mean - ci95, high: mean + ci95, perSeed },
    withinBand: withinBand(c.publishedChange, mean),
    assumptions: c.input.assumptions,
    cpuSeconds: (used.user + used.system) / 1e6,
  };
}
