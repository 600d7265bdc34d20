import type {
  Finding,
  ObservedVm,
  NodeAnalysis,
  NodeInventory,
  NodeSample,
  Recommendation,
  Severity,
  WhatIf,
} from '../../telemetry';
import { basePleWindowNs } from '../../telemetry';
import {
  calibrate,
  observe,
  pleRateOf,
  relativeMiss,
  type Calibration,
  type FitHint,
  type VmObservation,
} from './calibrate';
import { nodeFingerprint, nodeShape, type ModelledNode, type Predictions } from './model-cache';
import { Baseline, predictUntilDecided, replay } from './predict';
import { decided, worthIt } from './worth-it';
import { vmMetrics } from './vm-metrics';
import { fnv1a } from '../../sim/core/fnv1a';
import { priorityOf } from './priority';
import { whatIfCandidates } from './what-ifs';
import { PREDICTED_LOCK_RATE_RATIO } from './model-reuse';
import { windowSample, type WindowSample } from './window-sample';

/** Thresholds of a finding: warning and critical levels. */
export const THRESHOLDS = {
  'ple-rate': { warning: 2_000, critical: 10_000, unit: 'PLE exits per vCPU-second' },
  'runqueue-wait': { warning: 0.2, critical: 0.5, unit: 'of runnable time waiting for a pCPU' },
  'spin-share': { warning: 0.05, critical: 0.2, unit: 'of run time spinning (lower bound)' },
  // A vCPU throttled while it holds a lock leaves its siblings spinning (the per-CPU slices of cpu.max).
  'cpu-throttling': { warning: 0.1, critical: 0.5, unit: 'of CFS periods throttled by the CPU limit' },
  // PV directed yields (kvm_sched_yield) that did not switch: the guest asked the host to run a
  // preempted vCPU and the host did not (target not `ready`, or yield_to refused). About half
  // fail in ordinary overcommit (Wanpeng Li, "KVM: X86: Bail out of direct yield in case of
  // under-committed scenarios", 72b268a8e930: the successful/attempted ratio "from 50+% to
  // 80+%" with the patch, under-committed); far more failing is yield time wasted.
  'yield-ineffective': { warning: 0.6, critical: 0.85, unit: 'of PV directed yields failed' },
} as const;

/** Below this rate directed yields cost too little for their failures to be a finding. */
const YIELDS_WORTH_A_FINDING_PER_VCPU_SECOND = 10;

export const SEVERITY_RANK: Record<Severity, number> = { ok: 0, info: 1, warning: 2, critical: 3 };

function finding(kind: keyof typeof THRESHOLDS, vm: string, value: number | null): Finding | null {
  if (value === null) return null;
  const t = THRESHOLDS[kind];
  if (value < t.warning) return null;
  const severity: Severity = value >= t.critical ? 'critical' : 'warning';
  const shown = value < 1 ? `${(value * 100).toFixed(1)} %` : Math.round(value).toLocaleString('en-US');
  return {
    kind,
    vm,
    severity,
    value: Math.round(value * 1e4) / 1e4,
    threshold: severity === 'critical' ? t.critical : t.warning,
    message: `${vm}: ${shown} ${t.unit}`,
  };
}

export type NodeAnalysisResult = NodeAnalysis & { assumptions: string[]; cached: boolean };

/** What the expensive part of an analysis needs: the node and its VMs' observed sums, compact. */
export interface ModelRequest {
  /** The fingerprint: alike windows share a model. */
  key: string;
  /** The node's discrete shape (`nodeShape`): a model is reused only within one. */
  shape: string;
  inventory: NodeInventory;
  observations: VmObservation[];
  oversubscribed: boolean;
  worst: { index: number; name: string } | null;
  hint?: FitHint;
}

/** The first expensive part: fits the workload to the window (a fraction of a second to seconds). */
export function calibrateNode(req: ModelRequest): Calibration {
  return calibrate(req.inventory, req.observations, 1, req.hint);
}

/**
 * The second: replays every what-if on the fitted workload (most of the cost), paired seed by seed
 * with the baseline, adding seeds until the interval decides whether it is worth recommending; and
 * how precisely that baseline gives its PLE rate.
 */
export function replayWhatIfs(
  calibration: Calibration,
  oversubscribed: boolean,
  worst: ModelRequest['worst'],
): { predictions: Predictions; pleNoise: number | null } {
  const baseline = new Baseline(calibration.scenario, calibration.model);
  const predictions: Predictions = new Map(
    whatIfCandidates(calibration, oversubscribed, worst).map((c) => [
      c.id,
      predictUntilDecided(
        (seed) => baseline.batches(seed),
        (seed) => replay(c.scenario, c.model, seed),
        (p) => decided(c.kind, p),
      ).prediction,
    ]),
  );
  return { predictions, pleNoise: baseline.pleNoise() };
}

/** Both, in one go. */
export function modelNode(req: ModelRequest): ModelledNode {
  const calibration = calibrateNode(req);
  return { calibration, ...replayWhatIfs(calibration, req.oversubscribed, req.worst) };
}

/** How this window came by its model. */
export interface ModelSource {
  /** It ran no fit of its own: the model was cached, reused, or another window's fit served. */
  cached: boolean;
  /** End of the window the model was fitted to, when earlier than this one's (the node's model reused). */
  fittedToMs?: number;
}

/** An analysis up to the model: the cheap part, then `finish` with the modelled node. */
export interface PreparedAnalysis {
  request: ModelRequest;
  finish(modelled: ModelledNode, source: ModelSource): NodeAnalysisResult;
}

/** vCPUs per pCPU the node's VMs may use, to three decimals. */
export function oversubscriptionOf(inventory: NodeInventory): number {
  const vcpus = inventory.vms.reduce((a, vm) => a + vm.vcpus.length, 0);
  return Math.round((vcpus / inventory.pcpus) * 1000) / 1000;
}

/** Findings, calibration and what-if replay for one node's window of telemetry, in one go (replay). */
export function analyzeNode(inventory: NodeInventory, samples: readonly NodeSample[]): NodeAnalysisResult {
  const prepared = prepareAnalysis(inventory, samples.map(windowSample));
  return prepared.finish(modelNode(prepared.request), { cached: false });
}

/** What a window shows without any model: findings, per-VM rates and shares, observed sums. */
export interface WindowObservation {
  findings: Finding[];
  severity: Severity;
  oversubscription: number;
  metrics: ReturnType<typeof vmMetrics>['vms'];
  missing: ReturnType<typeof vmMetrics>['missing'];
  observations: VmObservation[];
  /** Per VM, as it goes on the wire (findings and analyses alike). */
  vms: ObservedVm[];
}

/** The observed part of an analysis: milliseconds, so it is published the moment a window closes. */
export function observeWindow(inventory: NodeInventory, samples: readonly WindowSample[]): WindowObservation {
  const { vms: metrics, missing } = vmMetrics(samples, basePleWindowNs(inventory.ple));
  const findings = metrics
    .flatMap((m) => [
      finding('ple-rate', m.vm, m.pleExitsPerVcpuSecond),
      finding('runqueue-wait', m.vm, m.waitShare),
      finding('spin-share', m.vm, m.spinShareLowerBound),
      finding('cpu-throttling', m.vm, m.throttledRatio),
      finding(
        'yield-ineffective',
        m.vm,
        m.directedYieldSuccess !== null &&
          m.directedYieldsPerVcpuSecond! >= YIELDS_WORTH_A_FINDING_PER_VCPU_SECOND
          ? 1 - m.directedYieldSuccess
          : null,
      ),
    ])
    .filter((f): f is Finding => f !== null);
  const severity = findings.reduce<Severity>(
    (s, f) => (SEVERITY_RANK[f.severity] > SEVERITY_RANK[s] ? f.severity : s),
    'ok',
  );
  const observations = observe(inventory, samples);
  const round4 = (x: number | null) => (x === null ? null : Math.round(x * 1e4) / 1e4);
  const vms = observations.map((o) => {
    const m = metrics.find((x) => x.vm === o.name);
    return {
      name: o.name,
      vcpus: Math.max(1, o.vcpus),
      pleExitsPerVcpuSecond: round4(m?.pleExitsPerVcpuSecond ?? null),
      spinShare: round4(m?.spinShareLowerBound ?? null),
      waitShare: round4(m?.waitShare ?? null),
      throttledRatio: round4(m?.throttledRatio ?? null),
      directedYieldSuccess: round4(m?.directedYieldSuccess ?? null),
    };
  });
  return {
    findings,
    severity,
    oversubscription: oversubscriptionOf(inventory),
    metrics,
    missing,
    observations,
    vms,
  };
}

/**
 * The cheap part of an analysis (findings, observations, the cache key), so that a replica can
 * answer a window whose model is cached without leaving its thread, and send only misses away.
 */
export function prepareAnalysis(
  inventory: NodeInventory,
  samples: readonly WindowSample[],
  observed: WindowObservation = observeWindow(inventory, samples),
): PreparedAnalysis {
  const { findings, severity, oversubscription, metrics, missing, observations } = observed;
  const spinOf = (name: string) => {
    const m = metrics.find((x) => x.vm === name);
    return m?.spinShareLowerBound ?? m?.pleExitsPerVcpuSecond ?? 0;
  };
  const worstIndex = observations.reduce<number | null>(
    (w, o, i) =>
      spinOf(o.name) > 0 && (w === null || spinOf(o.name) > spinOf(observations[w]!.name)) ? i : w,
    null,
  );
  const shape = nodeShape(inventory, observations, worstIndex);
  const request: ModelRequest = {
    key: nodeFingerprint(shape, observations),
    shape,
    inventory,
    observations,
    oversubscribed: oversubscription > 1 && observations.some((o) => o.pleExits > 0),
    worst: worstIndex === null ? null : { index: worstIndex, name: observations[worstIndex]!.name },
  };
  return { request, finish };

  function finish(modelled: ModelledNode, source: ModelSource): NodeAnalysisResult {
    const cal = modelled.calibration;
    // Against this window's PLE rate: a cached or reused model was fitted to another window's.
    const observedPle = pleRateOf(observations);
    const residual = relativeMiss(cal.fittedPleRate, observedPle);

    const broken: string[] = [];
    if (inventory.ipiVirtualized)
      broken.push('IPI virtualisation hides IPIs from kvm_apic_ipi: IPI rates are underestimated');
    for (const signal of missing) broken.push(`signal "${signal}" is missing on this node`);
    const baseConfidence = Math.max(0.1, (1 - Math.min(residual, 0.5)) * 0.9 ** broken.length);
    const evidence = [
      `observed ${Math.round(observedPle)} PLE exits per vCPU-second over ${samples.length} samples; the fitted ${cal.model} model gives ${Math.round(cal.fittedPleRate)} (residual ${(residual * 100).toFixed(1)} %)`,
      ...(source.fittedToMs === undefined
        ? []
        : [
            `model fitted to the window ending ${new Date(source.fittedToMs).toISOString()}: this window's load is within the model's resolution of it`,
          ]),
      ...(modelled.predictedOn && modelled.predictedOn !== cal.workloads
        ? [
            `what-ifs replayed on an earlier fit of this node or an alike node's: every VM's lock rate within ×${PREDICTED_LOCK_RATE_RATIO} of this fit's, its load within half a fingerprint bin`,
          ]
        : []),
      ...cal.assumptions.map((a) => `assumed: ${a}`),
    ];
    const whatIfs: WhatIf[] = [];
    const recommendations: Recommendation[] = [];
    const names = observations.map((o) => o.name);
    for (const c of whatIfCandidates(cal, request.oversubscribed, request.worst, names)) {
      const p = modelled.predictions.get(c.id);
      if (!p) continue;
      whatIfs.push({ kind: c.kind, target: c.target, summary: c.summary, ...p });
      if (!worthIt(c.kind, p)) continue;
      const own = [...broken];
      if (c.model === 'ple-kvm' && inventory.scheduler === 'eevdf')
        own.push('ple-kvm is a CFS-era (5.6) patch; this node runs EEVDF');
      recommendations.push({
        kind: c.kind,
        summary: c.summary,
        target: c.target,
        predicted: p,
        confidence: Math.round(baseConfidence * (own.length > broken.length ? 0.6 : 1) * 100) / 100,
        disruption: c.disruption,
        priority: priorityOf(p, c.disruption),
        apply: c.apply,
        brokenAssumptions: own,
        evidence,
      });
    }
    // Cheapest action first: predicted gain per disruption, then the larger PLE cut.
    recommendations.sort(
      (a, b) => b.priority! - a.priority! || a.predicted.pleExits.change - b.predicted.pleExits.change,
    );
    const first = samples[0];
    const last = samples[samples.length - 1];
    return {
      schema: 'spinwise.analysis.v1',
      node: inventory.node,
      windowStartMs: first ? first.timestampMs - first.intervalMs : inventory.timestampMs,
      windowEndMs: last ? last.timestampMs : inventory.timestampMs,
      samples: samples.length,
      newFromSeq: first?.seq ?? 0,
      lastSeq: last?.seq ?? 0,
      kernel: inventory.kernel,
      model: cal.model,
      severity,
      oversubscription,
      pcpus: inventory.pcpus,
      residual: Math.round(residual * 1e4) / 1e4,
      ...(source.fittedToMs === undefined ? {} : { modelFittedToMs: source.fittedToMs }),
      fit: {
        shape: fnv1a(request.shape),
        observedPleRate: cal.observedPleRate,
        fittedPleRate: cal.fittedPleRate,
        ...(modelled.pleNoise == null ? {} : { pleNoise: modelled.pleNoise }),
      },
      vms: observed.vms.map((vm, i) => ({ ...vm, workload: cal.workloads[i]! })),
      findings,
      whatIfs,
      recommendations,
      assumptions: cal.assumptions,
      cached: source.cached,
    };
  }
}

/** The analysis as it goes on the wire: without the calibration's working notes. */
export function wireAnalysis(result: NodeAnalysisResult): NodeAnalysis {
  const { assumptions: _a, cached: _c, ...wire } = result;
  return wire;
}
