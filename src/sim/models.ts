import { CfsScheduler } from './sched/cfs';
import { CfsWithDebooster } from './sched/cfs-debooster';
import { EevdfScheduler } from './sched/eevdf';
import { EevdfPickBuddyScheduler, EevdfYieldForfeitScheduler } from './sched/eevdf-pick-buddy';
import type { HostScheduler } from './sched/host-scheduler';
import type { DirectedYieldPolicy } from './kvm/directed-yield';
import { StockOnSpin56 } from './kvm/stock-5-6';
import { StockOnSpin513 } from './kvm/stock-5-13';
import { StockOnSpin613, StockOnSpin619 } from './kvm/stock-6-13';
import { StrictBoostOnSpin } from './kvm/strict-boost';

/** A named bundle of host scheduler and kvm_vcpu_on_spin variant: one kernel (or patched kernel). */
export interface ModelDefinition {
  name: string;
  description: string;
  /** The first upstream release the model describes. */
  since: [number, number];
  scheduler: (pcpus: number) => HostScheduler;
  directedYield: () => DirectedYieldPolicy;
}

export const MODELS: readonly ModelDefinition[] = [
  {
    name: 'stock-5.6',
    description:
      'Linux 5.6: CFS buddies with the wakeup_gran test; stock kvm_vcpu_on_spin (the paper’s base)',
    since: [5, 6],
    scheduler: (p) => new CfsScheduler(p),
    directedYield: () => new StockOnSpin56(),
  },
  {
    name: 'ple-kvm',
    description: 'Linux 5.6 with the VEE 2021 patches: debooster in yield_to_task_fair and strict boost',
    since: [5, 6],
    scheduler: (p) => new CfsWithDebooster(p),
    directedYield: () => new StrictBoostOnSpin(),
  },
  {
    name: 'stock-5.13',
    description: 'Linux 5.13–6.5: CFS; user-mode candidates boosted when a posted interrupt is pending',
    since: [5, 13],
    scheduler: (p) => new CfsScheduler(p),
    directedYield: () => new StockOnSpin513(),
  },
  {
    name: 'stock-6.6',
    description: 'Linux 6.6–6.12: EEVDF, yield_to’s next buddy ignored; 5.13 candidate selection',
    since: [6, 6],
    scheduler: (p) => new EevdfScheduler(p),
    directedYield: () => new StockOnSpin513(),
  },
  {
    name: 'stock-6.13',
    description: 'Linux 6.13: EEVDF without buddy; single-loop on_spin with the last_boosted_vcpu bug',
    since: [6, 13],
    scheduler: (p) => new EevdfScheduler(p),
    directedYield: () => new StockOnSpin613(),
  },
  {
    name: 'stock-6.14',
    description: 'Linux 6.14–6.18: EEVDF PICK_BUDDY (eligible buddy runs first); last_boosted_vcpu bug',
    since: [6, 14],
    scheduler: (p) => new EevdfPickBuddyScheduler(p),
    directedYield: () => new StockOnSpin613(),
  },
  {
    name: 'stock-6.19',
    description: 'Linux 6.19: EEVDF yield forfeits vruntime; round-robin of on_spin fixed',
    since: [6, 19],
    scheduler: (p) => new EevdfYieldForfeitScheduler(p),
    directedYield: () => new StockOnSpin619(),
  },
];

export function modelByName(name: string): ModelDefinition {
  const model = MODELS.find((m) => m.name === name);
  if (!model) throw new Error(`unknown model "${name}"; known: ${MODELS.map((m) => m.name).join(', ')}`);
  return model;
}

export interface KernelMatch {
  model: ModelDefinition;
  reason: string;
}

/** The stock model closest to a `uname -r` string: the newest one whose release is not after the kernel's. */
export function modelForKernel(release: string): KernelMatch {
  const m = /^(\d+)\.(\d+)/.exec(release.trim());
  const stock = MODELS.filter((x) => x.name.startsWith('stock-'));
  if (!m)
    return {
      model: stock[0]!,
      reason: `"${release}" is not a kernel release; assuming the paper’s base (5.6)`,
    };
  const version: [number, number] = [Number(m[1]), Number(m[2])];
  const notAfter = stock.filter(
    (x) => x.since[0] < version[0] || (x.since[0] === version[0] && x.since[1] <= version[1]),
  );
  if (notAfter.length === 0)
    return {
      model: stock[0]!,
      reason: `${version.join('.')} predates every model; 5.6 is the oldest modelled (closest)`,
    };
  const model = notAfter[notAfter.length - 1]!;
  const scheduler = version[0] > 6 || (version[0] === 6 && version[1] >= 6) ? 'EEVDF' : 'CFS';
  return {
    model,
    reason: `${version.join('.')} runs ${scheduler}; ${model.name} is the newest model not after it (${model.description})`,
  };
}
