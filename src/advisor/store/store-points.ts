import type { Point } from '../../adapters/store/time-series-store';
import type { NodeAnalysis, NodeSample } from '../../telemetry';
import { SEVERITY_RANK } from '../domain/analyze-node';

/** Measurements the advisor writes, and the dashboard and Grafana read. */
export const MEASUREMENTS = {
  /** Per vCPU thread and sample: counter deltas. */
  vcpu: 'vcpu',
  /** Per VM and analysis: rates and shares. */
  vm: 'vm',
  /** Per what-if and analysis: predicted relative changes. */
  prediction: 'prediction',
  /** Per node and analysis: severity and oversubscription. */
  node: 'node',
} as const;

export function samplePoints(sample: NodeSample): Point[] {
  return sample.vcpus.map((v) => ({
    measurement: MEASUREMENTS.vcpu,
    tags: { node: sample.node, vm: v.vm, vcpu: String(v.vcpu) },
    fields: { pleExits: v.pleExits ?? 0, runNs: v.runNs ?? 0, waitNs: v.waitNs ?? 0 },
    timestampMs: sample.timestampMs,
  }));
}

/** A signal the node could not give is left out of the point, never written as 0. */
const present = (fields: Record<string, number | null>): Record<string, number> =>
  Object.fromEntries(Object.entries(fields).filter((e): e is [string, number] => e[1] !== null));

/** The node's PLE exits per vCPU-second, weighting each VM by its vCPUs; null when no VM had the signal. */
export function nodePleRate(a: NodeAnalysis): number | null {
  const known = a.vms.filter((v) => v.pleExitsPerVcpuSecond !== null);
  const vcpus = known.reduce((s, v) => s + v.vcpus, 0);
  return vcpus === 0 ? null : known.reduce((s, v) => s + v.pleExitsPerVcpuSecond! * v.vcpus, 0) / vcpus;
}

export function analysisPoints(a: NodeAnalysis): Point[] {
  const at = a.windowEndMs;
  return [
    {
      measurement: MEASUREMENTS.node,
      tags: { node: a.node },
      fields: present({
        severity: SEVERITY_RANK[a.severity],
        oversubscription: a.oversubscription,
        residual: a.residual,
        pleRate: nodePleRate(a),
      }),
      timestampMs: at,
    },
    ...a.vms
      .map((vm) => ({
        measurement: MEASUREMENTS.vm,
        tags: { node: a.node, vm: vm.name },
        fields: present({
          pleRate: vm.pleExitsPerVcpuSecond,
          spinShare: vm.spinShare,
          waitShare: vm.waitShare,
          throttledRatio: vm.throttledRatio ?? null,
        }),
        timestampMs: at,
      }))
      .filter((p) => Object.keys(p.fields).length > 0),
    ...a.whatIfs.map((w) => ({
      measurement: MEASUREMENTS.prediction,
      tags: { node: a.node, kind: w.kind, target: w.target },
      fields: { pleExits: w.pleExits.change, usefulNs: w.usefulNs.change, spinNs: w.spinNs.change },
      timestampMs: at,
    })),
  ];
}
