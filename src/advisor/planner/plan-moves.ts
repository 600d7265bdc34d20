import { modelFor } from '../../sim/models';
import { simulate } from '../../sim/simulate';
import type { AnalysisVm, NodeAnalysis, NodeInventory, RecommendationMessage } from '../../telemetry';
import { modelDurationsNs, nodeScenario } from '../domain/calibrate';
import { pairedChange, type PredictedTotals } from '../domain/predict';
import { priorityOf } from '../domain/priority';

export interface PlannerOptions {
  /** A node takes VMs up to (allocatable CPUs, else pCPUs) × this many vCPUs (default 2). */
  maxOversubscription?: number;
  maxMoves?: number;
  /** Nodes tried as sources and destinations per move, and VMs per source (cost bound). */
  breadth?: number;
  /** A move must cut the cluster's spin time by at least this fraction of it (default 2 %). */
  minGain?: number;
  seeds?: number[];
  nowMs?: number;
}

export interface PlannerNode {
  inventory: NodeInventory;
  analysis: NodeAnalysis;
  /** CPUs Kubernetes lets workloads use on the node (allocatable); the pCPUs when unknown. */
  allocatableCpus?: number;
}

interface Placement {
  inventory: NodeInventory;
  vms: AnalysisVm[];
  residual: number;
  /** vCPUs the node may hold. */
  capacity: number;
}

const vcpusOf = (vms: readonly AnalysisVm[]) => vms.reduce((a, v) => a + v.vcpus, 0);

/**
 * Proposes VM moves between nodes that cut the cluster's predicted spin time most, greedily: each
 * round tries the VMs that spin most on the nodes that spin most against the nodes that spin least
 * with room, predicts both nodes after the move by replaying their fitted workloads under each
 * node's own kernel model, and takes the best move if it gains enough. A moved VM floats on its new
 * node (no pinning). Memory and devices are not modelled: capacity is vCPUs only.
 */
export function planMoves(
  nodes: readonly PlannerNode[],
  options: PlannerOptions = {},
): RecommendationMessage[] {
  const seeds = options.seeds ?? [1, 2, 3, 4, 5, 6];
  const breadth = options.breadth ?? 3;
  const maxOver = options.maxOversubscription ?? 2;
  const cache = new Map<string, PredictedTotals[]>();
  const runs = (p: Placement): PredictedTotals[] => {
    // VMs of different nodes may share a name: the key is their whole fitted description.
    const key = `${p.inventory.node}|${JSON.stringify(p.vms)}`;
    let out = cache.get(key);
    if (!out) {
      const { predictNs } = modelDurationsNs(p.inventory.pcpus);
      const model = modelFor(p.inventory.kernel, p.inventory.model).model.name;
      out = seeds.map((seed) => {
        if (p.vms.length === 0) return { spinNs: 0, pleExits: 0, usefulNs: 0 };
        const scenario = nodeScenario(
          p.inventory,
          p.vms.map((v) => ({ name: v.name, vcpus: v.vcpus, workload: { ...v.workload, pinning: 'none' } })),
          predictNs,
          seed,
        );
        return simulate(scenario, model, seed).totals;
      });
      cache.set(key, out);
    }
    return out;
  };
  const spin = (p: Placement) => runs(p).reduce((a, t) => a + t.spinNs, 0) / seeds.length;
  const state = new Map<string, Placement>(
    nodes.map((n) => [
      n.inventory.node,
      // Only VMs the analysis fitted can be replayed; pinned ones stay where they are.
      {
        inventory: n.inventory,
        vms: n.analysis.vms.filter((v) => n.inventory.vms.some((iv) => iv.name === v.name)),
        residual: n.analysis.residual,
        capacity: (n.allocatableCpus ?? n.inventory.pcpus) * maxOver,
      },
    ]),
  );
  const moves: RecommendationMessage[] = [];
  for (let round = 0; round < (options.maxMoves ?? 5); round++) {
    const placements = [...state.values()].sort(
      (a, b) => spin(b) - spin(a) || a.inventory.node.localeCompare(b.inventory.node),
    );
    const clusterSpin = placements.reduce((a, p) => a + spin(p), 0);
    if (clusterSpin === 0) break;
    let best: {
      gain: number;
      src: Placement;
      dst: Placement;
      vm: AnalysisVm;
      srcAfter: Placement;
      dstAfter: Placement;
    } | null = null;
    for (const src of placements.slice(0, breadth)) {
      const movable = src.vms
        .filter((v) => v.workload.pinning === 'none')
        .sort((a, b) => (b.spinShare ?? 0) - (a.spinShare ?? 0) || a.name.localeCompare(b.name))
        .slice(0, breadth);
      for (const vm of movable)
        for (const dst of [...placements]
          .reverse()
          .filter((d) => d !== src)
          .slice(0, breadth)) {
          if (vcpusOf(dst.vms) + vm.vcpus > dst.capacity) continue;
          const srcAfter = { ...src, vms: src.vms.filter((v) => v !== vm) };
          const dstAfter = { ...dst, vms: [...dst.vms, vm] };
          const gain = spin(src) + spin(dst) - spin(srcAfter) - spin(dstAfter);
          if (!best || gain > best.gain) best = { gain, src, dst, vm, srcAfter, dstAfter };
        }
    }
    if (!best || best.gain < (options.minGain ?? 0.02) * clusterSpin) break;
    const effect = (before: Placement, after: Placement) => ({
      node: before.inventory.node,
      ...pairedChange(runs(before), runs(after)),
    });
    // Both nodes together, seed by seed.
    const sum = (a: Placement, b: Placement) =>
      runs(a).map((x, i) => {
        const y = runs(b)[i]!;
        return {
          pleExits: x.pleExits + y.pleExits,
          usefulNs: x.usefulNs + y.usefulNs,
          spinNs: x.spinNs + y.spinNs,
        };
      });
    const combined = pairedChange(sum(best.src, best.dst), sum(best.srcAfter, best.dstAfter));
    // Noise is never advice: the two nodes' spin time must fall with its whole 95 % interval below zero.
    if (combined.spinNs.change + combined.spinNs.ci95 >= 0) break;
    const from = effect(best.src, best.srcAfter);
    const to = effect(best.dst, best.dstAfter);
    const pct = (x: number) => `${x >= 0 ? '+' : '−'}${Math.abs(Math.round(x * 100))} %`;
    // A node that spins more after the move is said so, with why the move is still worth it.
    const worse = [from, to]
      .filter((e) => e.spinNs.change > 0)
      .map(
        (e) =>
          `${e.node} is predicted to spin more (${pct(e.spinNs.change)} ± ${Math.round(e.spinNs.ci95 * 100)} %), but the two nodes together spin ${pct(combined.spinNs.change)} ± ${Math.round(combined.spinNs.ci95 * 100)} %: worth it for the cluster`,
      );
    moves.push({
      schema: 'spinwise.recommendation.v1',
      node: best.src.inventory.node,
      generatedAtMs: options.nowMs ?? Date.now(),
      vm: best.vm.name,
      toNode: best.dst.inventory.node,
      recommendation: {
        kind: 'move',
        summary: `live-migrate ${best.vm.name} (${best.vm.vcpus} vCPUs) from ${best.src.inventory.node} to ${best.dst.inventory.node}`,
        target: best.dst.inventory.node,
        predicted: combined,
        confidence:
          Math.round(
            Math.max(0.1, 1 - Math.min(0.5, Math.max(best.src.residual, best.dst.residual))) * 0.8 * 100,
          ) / 100,
        disruption: 'live-migration',
        priority: priorityOf(combined, 'live-migration'),
        apply: [
          {
            on: 'kubevirt',
            how: `virtctl migrate ${best.vm.name} (with a node affinity or selector for ${best.dst.inventory.node})`,
          },
          {
            on: 'libvirt',
            how: `virsh migrate --live ${best.vm.name} qemu+ssh://${best.dst.inventory.node}/system`,
          },
        ],
        brokenAssumptions: ['memory, devices and affinity rules are not modelled: capacity is vCPUs only'],
        evidence: [
          `${from.node}: spin time ${pct(from.spinNs.change)}, PLE exits ${pct(from.pleExits.change)} without ${best.vm.name}`,
          `${to.node}: spin time ${pct(to.spinNs.change)}, PLE exits ${pct(to.pleExits.change)} with ${best.vm.name} (${vcpusOf(best.dstAfter.vms)} vCPUs on ${best.dst.inventory.pcpus} pCPUs)`,
          `the cluster's predicted spin time falls by ${Math.round((best.gain / clusterSpin) * 100)} %`,
          ...worse,
        ],
      },
      effects: [from, to],
    });
    state.set(best.src.inventory.node, best.srcAfter);
    state.set(best.dst.inventory.node, best.dstAfter);
  }
  return moves;
}
