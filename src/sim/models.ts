import { featuresOf, KERNEL_FEATURES, type FeatureId } from './kernel-features';
import type { DirectedYieldPolicy } from './kvm/directed-yield';
import { StockOnSpin56 } from './kvm/stock-5-6';
import { StockOnSpin513 } from './kvm/stock-5-13';
import { IpiAwareOnSpin } from './kvm/ipi-aware';
import { StockOnSpin613, StockOnSpin619 } from './kvm/stock-6-13';
import { StrictBoostOnSpin } from './kvm/strict-boost';
import { CfsScheduler } from './sched/cfs';
import { CfsWithDebooster } from './sched/cfs-debooster';
import { EevdfScheduler } from './sched/eevdf';
import { withDelayDequeue } from './sched/eevdf-delay-dequeue';
import { withPickBuddy, type EevdfClass } from './sched/eevdf-pick-buddy';
import { withSliceProtection } from './sched/eevdf-slice-protection';
import { withVcpuDebooster } from './sched/eevdf-vcpu-debooster';
import { withYieldForfeit } from './sched/eevdf-yield-forfeit';
import type { HostScheduler } from './sched/host-scheduler';

/** A named bundle of host scheduler and kvm_vcpu_on_spin variant: one kernel (or patched kernel). */
export interface ModelDefinition {
  name: string;
  description: string;
  /** The first upstream release the model describes. */
  since: [number, number];
  /** The kernel features (kernel-features.ts) it reproduces. */
  features: readonly FeatureId[];
  scheduler: (pcpus: number) => HostScheduler;
  directedYield: () => DirectedYieldPolicy;
}

const MODELLED = new Set(KERNEL_FEATURES.filter((f) => f.modelled).map((f) => f.id));

/** The host scheduler a set of features makes: CFS before EEVDF, then EEVDF's rules as they came. */
function schedulerOf(features: ReadonlySet<FeatureId>): (pcpus: number) => HostScheduler {
  if (!features.has('eevdf')) {
    if (features.has('semantics-aware'))
      throw new Error('semantics-aware is a patch series for EEVDF kernels (6.6 and later), not for CFS');
    return (p) => new CfsScheduler(p);
  }
  let cls: EevdfClass = EevdfScheduler;
  if (features.has('delay-dequeue')) cls = withDelayDequeue(cls);
  if (features.has('pick-buddy')) cls = withPickBuddy(cls);
  if (features.has('slice-protection')) cls = withSliceProtection(cls);
  if (features.has('semantics-aware')) cls = withVcpuDebooster(cls);
  if (features.has('yield-forfeit')) cls = withYieldForfeit(cls);
  const Scheduler = cls;
  const baseSlice = features.has('base-slice-0.70') ? 700_000 : 750_000;
  return (p) => new Scheduler(p, baseSlice);
}

/** The kvm_vcpu_on_spin() a set of features makes. */
function onSpinOf(features: ReadonlySet<FeatureId>): () => DirectedYieldPolicy {
  if (features.has('semantics-aware')) return () => new IpiAwareOnSpin();
  if (features.has('on-spin-single-loop'))
    return features.has('last-boosted-fix') ? () => new StockOnSpin619() : () => new StockOnSpin613();
  return features.has('pi-boost') ? () => new StockOnSpin513() : () => new StockOnSpin56();
}

/** A stock kernel model from the (modelled) features a release has. */
function stock(
  name: string,
  since: [number, number],
  description: string,
  features: readonly FeatureId[],
): ModelDefinition {
  const set = new Set(features);
  return { name, since, description, features, scheduler: schedulerOf(set), directedYield: onSpinOf(set) };
}

/**
 * The features of each era, built on the one before (the order is the models' feature order):
 * KVM's boosts of 5.3, 5.13's candidate and bail-out rules, then EEVDF hosts from 6.11 with the
 * halt-polling shrink, 6.12's delayed dequeue, then 6.13's single on_spin loop.
 */
const KVM_5_6: readonly FeatureId[] = ['ready-boost', 'queue-head-boost'];
const KVM_5_13: readonly FeatureId[] = [...KVM_5_6, 'pi-boost', 'undercommit-bailout'];
const EEVDF_6_11: readonly FeatureId[] = [...KVM_5_13, 'halt-poll-shrink', 'eevdf'];
const EEVDF_6_12: readonly FeatureId[] = [...EEVDF_6_11, 'delay-dequeue'];
const EEVDF_6_13: readonly FeatureId[] = [...EEVDF_6_12, 'on-spin-single-loop'];
const EEVDF_6_14: readonly FeatureId[] = [...EEVDF_6_13, 'pick-buddy'];

export const MODELS: readonly ModelDefinition[] = [
  stock(
    'stock-5.6',
    [5, 6],
    'Linux 5.6: CFS buddies with the wakeup_gran test; stock kvm_vcpu_on_spin (the paper’s base)',
    KVM_5_6,
  ),
  {
    name: 'ple-kvm',
    description: 'Linux 5.6 with the VEE 2021 patches: debooster in yield_to_task_fair and strict boost',
    since: [5, 6],
    features: KVM_5_6,
    scheduler: (p) => new CfsWithDebooster(p),
    directedYield: () => new StrictBoostOnSpin(),
  },
  stock(
    'stock-5.13',
    [5, 13],
    'Linux 5.13–6.5: CFS; user-mode candidates boosted when a posted interrupt is pending',
    KVM_5_13,
  ),
  stock(
    'stock-6.6',
    [6, 6],
    'Linux 6.6–6.10: EEVDF, yield_to’s next buddy ignored; 5.13 candidate selection',
    [...KVM_5_13, 'eevdf'],
  ),
  stock(
    'stock-6.12',
    [6, 12],
    'Linux 6.12.13+ (LTS): EEVDF with delayed dequeue and PICK_BUDDY backported; two-pass on_spin of 5.13',
    [...EEVDF_6_12, 'pick-buddy'],
  ),
  stock(
    'stock-6.13',
    [6, 13],
    'Linux 6.13.0–6.13.1: EEVDF without buddy; single-loop on_spin with the last_boosted_vcpu bug',
    EEVDF_6_13,
  ),
  stock(
    'stock-6.14',
    [6, 14],
    'Linux 6.13.2–6.14: EEVDF PICK_BUDDY (eligible buddy runs first); last_boosted_vcpu bug',
    EEVDF_6_14,
  ),
  stock(
    'stock-6.19',
    [6, 19],
    'Linux 6.19 (and 6.18.3+): EEVDF yield forfeits vruntime; round-robin of on_spin fixed; task-based CFS throttling',
    [
      ...EEVDF_6_14,
      'base-slice-0.70',
      'slice-protection',
      'task-based-throttle',
      'yield-forfeit',
      'last-boosted-fix',
    ],
  ),
];

const STOCK = MODELS.filter((m) => m.name.startsWith('stock-'));

/**
 * A model by name: one of MODELS, or a stock model with modelled features added
 * (`stock-6.14+base-slice-0.70+yield-forfeit`, what modelForKernel names a 6.17.13 host).
 */
export function modelByName(name: string): ModelDefinition {
  const exact = MODELS.find((m) => m.name === name);
  if (exact) return exact;
  const [baseName, ...extras] = name.split('+');
  const base = STOCK.find((m) => m.name === baseName);
  const unknown = extras.filter((f) => !MODELLED.has(f as FeatureId));
  if (!base || extras.length === 0 || unknown.length > 0)
    throw new Error(
      `unknown model "${name}"; known: ${MODELS.map((m) => m.name).join(', ')}, or a stock model + modelled features (${[...MODELLED].join(', ')})`,
    );
  const features = [...new Set([...base.features, ...(extras as FeatureId[])])];
  return stock(name, base.since, `${base.description}; with ${extras.join(', ')}`, features);
}

/** Features a model consults as it runs (not how it is composed): any model may gain or lose them. */
const RUNTIME_FEATURES: ReadonlySet<FeatureId> = new Set([
  'ready-boost',
  'queue-head-boost',
  'undercommit-bailout',
  'halt-poll-shrink',
  'pv-wait-early',
  'task-based-throttle',
]);

/**
 * A model with modelled features added or removed (a validation case's "ready boost off"): a
 * stock model is composed again from its new feature set; another model (ple-kvm) may only gain
 * or lose features it consults as it runs. The name says what changed: `stock-5.6-ready-boost`.
 */
export function modelWithFeatures(
  base: ModelDefinition,
  add: readonly FeatureId[],
  remove: readonly FeatureId[],
): ModelDefinition {
  for (const f of [...add, ...remove])
    if (!MODELLED.has(f)) throw new Error(`feature "${f}" is not modelled (spinwise models lists them)`);
  const features = [...new Set([...base.features, ...add])].filter((f) => !remove.includes(f));
  const name = `${base.name}${add.map((f) => `+${f}`).join('')}${remove.map((f) => `-${f}`).join('')}`;
  const description = `${base.description}${add.length ? `; with ${add.join(', ')}` : ''}${remove.length ? `; without ${remove.join(', ')}` : ''}`;
  // A stock model, named or composed (`stock-6.14+base-slice-0.70`, a kernel's), is composed again.
  if (base.name.startsWith('stock-')) return stock(name, base.since, description, features);
  const composing = [...add, ...remove].filter((f) => !RUNTIME_FEATURES.has(f));
  if (composing.length)
    throw new Error(
      `${base.name} is not a stock model: only ${[...RUNTIME_FEATURES].join(', ')} can be added or removed, not ${composing.join(', ')}`,
    );
  return { ...base, name, description, features };
}

/** Whether `name` names a model (for validating options and scenario files). */
export function isModelName(name: string): boolean {
  try {
    modelByName(name);
    return true;
  } catch {
    return false;
  }
}

export interface KernelMatch {
  model: ModelDefinition;
  /** One line: what the release runs and which model stands for it. */
  reason: string;
  /** Every feature the release carries (modelled or not). */
  features: FeatureId[];
  /** Why each feature is in or out, and the assumptions made. */
  reasons: string[];
}

/**
 * The stock model of a `uname -r` string, by the features the release carries (mainline and
 * stable backports): the named model with exactly its modelled features, else the named model
 * with the most of them plus the rest (`stock-6.14+yield-forfeit`).
 */
export function modelForKernel(release: string): KernelMatch {
  const found = featuresOf(release);
  const base = STOCK[0]!;
  if (!found)
    return {
      model: base,
      reason: `"${release}" is not a kernel release; assuming the paper’s base (5.6)`,
      features: [],
      reasons: [],
    };
  const { release: r, features, reasons } = found;
  const version = `${r.major}.${r.minor}`;
  if (r.major < 5 || (r.major === 5 && r.minor < 6))
    return {
      model: base,
      reason: `${version} predates every model; 5.6 is the oldest modelled (closest)`,
      features,
      reasons,
    };
  const modelled = features.filter((f) => MODELLED.has(f));
  const within = STOCK.filter((m) => m.features.every((f) => modelled.includes(f)));
  const best = within.reduce((a, b) => (b.features.length >= a.features.length ? b : a));
  const extras = modelled.filter((f) => !best.features.includes(f));
  const model = extras.length === 0 ? best : modelByName([best.name, ...extras].join('+'));
  const scheduler = features.includes('eevdf') ? 'EEVDF' : 'CFS';
  return {
    model,
    reason: `${release} runs ${scheduler} with ${modelled.length ? modelled.join(', ') : 'none of the later changes'}; ${model.name}: ${model.description}`,
    features,
    reasons,
  };
}

/**
 * The model of a node: the one its operator set (agent `--model`, scenario `host.model`) if it is
 * a known model, else its kernel's. An override spinwise does not know is ignored, and says so.
 */
export function modelFor(kernel: string, override?: string | null): KernelMatch {
  const byKernel = modelForKernel(kernel);
  if (!override) return byKernel;
  if (!isModelName(override))
    return {
      ...byKernel,
      reason: `unknown model "${override}" set for this node, ignored; ${byKernel.reason}`,
    };
  return {
    ...byKernel,
    model: modelByName(override),
    reason: `${override} set by the operator; ${kernel} alone maps to ${byKernel.model.name}`,
  };
}
