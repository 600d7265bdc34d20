import { RunQueue } from '../host/runqueue';
import { NICE_0_WEIGHT, Thread } from '../host/thread';

/** MIN_SHARES (kernel/sched/sched.h): a group entity never weighs less than this. */
export const MIN_SHARES = 2;

/** cgroup v2 cpu.weight → shares (sched_weight_from_cgroup: weight × 1024 / 100, rounded). */
export function sharesOfCpuWeight(weight: number): number {
  return Math.round((weight * NICE_0_WEIGHT) / 100);
}

/** A cgroup of the hierarchy: its cpu.weight, and its parent group (−1: under the root). */
export interface GroupSpec {
  weight: number;
  parent: number;
}

export interface Group {
  shares: number;
  /** The group it is in, −1 for the root cgroup. */
  parent: number;
  /** Whether other groups are in it (its cfs_rq then holds their entities). */
  hasChildren: boolean;
  /** This group and its ancestors, up to the one under the root. */
  path: readonly number[];
  /** Per pCPU: the group's cfs_rq and the entity that stands for it on its parent's cfs_rq. */
  child: RunQueue[];
  entity: Thread[];
  /** tg->load_avg, and per pCPU the cfs_rq's tg_load_avg_contrib to it. */
  loadAvg: number;
  contrib: Float64Array;
}

/**
 * The groups of a cgroup tree, each with a cfs_rq and an entity on every pCPU; the entities take
 * ids from `firstEntityId` on (after every thread's, so ties between entities and threads stay
 * deterministic).
 */
export function buildGroups(specs: readonly GroupSpec[], pcpus: number, firstEntityId: number): Group[] {
  let nextEntityId = firstEntityId;
  return specs.map((spec, g) => ({
    shares: sharesOfCpuWeight(spec.weight),
    parent: spec.parent,
    hasChildren: specs.some((other) => other.parent === g),
    path: ancestry(specs, g),
    child: Array.from({ length: pcpus }, (_, cpu) => new RunQueue(cpu)),
    entity: Array.from({ length: pcpus }, () => new Thread(nextEntityId++, -1, [])),
    loadAvg: 0,
    contrib: new Float64Array(pcpus),
  }));
}

/** Group `g` and its ancestors, bottom up. */
function ancestry(specs: readonly GroupSpec[], g: number): number[] {
  const path: number[] = [];
  for (let c = g; c >= 0; c = specs[c]!.parent) path.push(c);
  return path;
}

/** Takes `t` off a level's runqueue, and off its curr. */
export function removeFrom(rq: RunQueue, t: Thread): void {
  rq.remove(t);
  if (rq.curr === t) rq.curr = null;
}
