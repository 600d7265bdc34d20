import type { Scenario } from '../../sim/scenario';
import type {
  Finding,
  NodeAnalysis,
  NodeInventory,
  NodeSample,
  Recommendation,
  Severity,
} from '../../telemetry';
import { calibrate } from './calibrate';
import { predictChange } from './predict';
import { vmMetrics } from './vm-metrics';

/** Thresholds of a finding: warning and critical levels. */
const THRESHOLDS = {
  'ple-rate': { warning: 2_000, critical: 10_000, unit: 'PLE exits per vCPU-second' },
  'runqueue-wait': { warning: 0.2, critical: 0.5, unit: 'of runnable time waiting for a pCPU' },
  'spin-share': { warning: 0.05, critical: 0.2, unit: 'of run time spinning (lower bound)' },
} as const;

const RANK: Record<Severity, number> = { ok: 0, info: 1, warning: 2, critical: 3 };
const PREDICTION_SEEDS = [101, 102, 103];

function finding(kind: keyof typeof THRESHOLDS, vm: string, value: number | null): Finding | null {
  if (value === null) return null;
  const t = THRESHOLDS[kind];
  if (value < t.warning) return null;
  const severity: Severity = value >= t.critical ? 'critical' : 'warning';
  const shown = value < 1 ? `${(value * 100).toFixed(1)} %` : Math.round(value).toLocaleString('en-US');
  const threshold = severity === 'critical' ? t.critical : t.warning;
  return {
    kind,
    vm,
    severity,
    value: Math.round(value * 1e4) / 1e4,
    threshold,
    message: `${vm}: ${shown} ${t.unit}`,
  };
}

/** Findings, calibration and what-if replay for one node's window of telemetry. */
export function analyzeNode(
  inventory: NodeInventory,
  samples: readonly NodeSample[],
): NodeAnalysis & { assumptions: string[]; residual: number } {
  // The base PLE window in time: VMX counts cycles, SVM counts PAUSEs (~40 cycles each); 2.5 GHz assumed.
  const pleNs = inventory.ple ? (inventory.ple.window * (inventory.ple.vendor === 'vmx' ? 1 : 40)) / 2.5 : 0;
  const { vms, missing } = vmMetrics(samples, pleNs);
  const findings = vms
    .flatMap((m) => [
      finding('ple-rate', m.vm, m.pleExitsPerVcpuSecond),
      finding('runqueue-wait', m.vm, m.waitShare),
      finding('spin-share', m.vm, m.spinShareLowerBound),
    ])
    .filter((f): f is Finding => f !== null);
  const severity = findings.reduce<Severity>((s, f) => (RANK[f.severity] > RANK[s] ? f.severity : s), 'ok');
  const vcpus = inventory.vms.reduce((a, vm) => a + vm.vcpus.length, 0);
  const oversubscription = Math.round((vcpus / inventory.pcpus) * 1000) / 1000;
  const cal = calibrate(inventory, samples);
  const broken: string[] = [];
  if (inventory.ipiVirtualized)
    broken.push('IPI virtualisation hides IPIs from kvm_apic_ipi: IPI rates are underestimated');
  for (const signal of missing) broken.push(`signal "${signal}" is missing on this node`);
  const baseConfidence = Math.max(0.1, (1 - Math.min(cal.residual, 0.5)) * 0.9 ** broken.length);
  const evidence = [
    `observed ${Math.round(cal.observedPleRate)} PLE exits per vCPU-second over ${samples.length} samples; the fitted ${cal.model} model gives ${Math.round(cal.fittedPleRate)} (residual ${(cal.residual * 100).toFixed(1)} %)`,
    ...cal.assumptions.map((a) => `assumed: ${a}`),
  ];
  const recommendations: Recommendation[] = [];
  if (oversubscription > 1 && cal.observedPleRate > 0) {
    for (const candidate of ['ple-kvm', 'stock-6.19']) {
      if (candidate === cal.model) continue;
      const p = predictChange(cal.scenario, cal.model, cal.scenario, candidate, PREDICTION_SEEDS);
      if (!(p.pleExits.change < -0.2)) continue;
      const own = [...broken];
      if (candidate === 'ple-kvm' && inventory.scheduler === 'eevdf')
        own.push('ple-kvm is a CFS-era (5.6) patch; this node runs EEVDF');
      recommendations.push({
        kind: 'kernel',
        summary:
          candidate === 'ple-kvm'
            ? 'run a kernel with the debooster and strict boost (VEE 2021 patches)'
            : 'upgrade to Linux 6.19 (EEVDF yield forfeit, fixed on_spin round-robin)',
        target: candidate,
        predicted: p,
        confidence: Math.round(baseConfidence * (own.length > broken.length ? 0.6 : 1) * 100) / 100,
        brokenAssumptions: own,
        evidence,
      });
    }
  }
  const allDedicated = cal.scenario.vms.every((v) => v.pinning === 'dedicated');
  if (allDedicated && inventory.ple?.enabled && cal.observedPleRate > 0) {
    const off: Scenario = {
      ...cal.scenario,
      host: { ...cal.scenario.host, ple: { ...cal.scenario.host.ple, enabled: false } },
    };
    const p = predictChange(cal.scenario, cal.model, off, cal.model, PREDICTION_SEEDS);
    if (p.usefulNs.change >= -0.005)
      recommendations.push({
        kind: 'ple',
        summary:
          'every vCPU has a pCPU of its own: disable PLE (kvm_intel ple_gap=0 / kvm_amd pause_filter_count=0)',
        target: inventory.ple.vendor === 'vmx' ? 'ple_gap=0' : 'pause_filter_count=0',
        predicted: p,
        confidence: Math.round(baseConfidence * 100) / 100,
        brokenAssumptions: broken,
        evidence,
      });
  }
  recommendations.sort((a, b) => a.predicted.pleExits.change - b.predicted.pleExits.change);
  const first = samples[0];
  const last = samples[samples.length - 1];
  return {
    schema: 'spinwise.analysis.v1',
    node: inventory.node,
    windowStartMs: first ? first.timestampMs - first.intervalMs : inventory.timestampMs,
    windowEndMs: last ? last.timestampMs : inventory.timestampMs,
    samples: samples.length,
    kernel: inventory.kernel,
    model: cal.model,
    severity,
    oversubscription,
    findings,
    recommendations,
    assumptions: cal.assumptions,
    residual: Math.round(cal.residual * 1e4) / 1e4,
  };
}
