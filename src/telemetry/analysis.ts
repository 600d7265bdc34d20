import { z } from 'zod';
import {
  count,
  epochMs,
  finite,
  LIMITS,
  name,
  nodeName,
  positiveInt,
  predictedChange,
  severity,
} from './primitives';
import { missingSignal } from './sample';
import { recommendation, recommendationKind } from './recommendation';

export const findingKind = z.enum([
  'ple-rate',
  'spin-share',
  'runqueue-wait',
  'cpu-throttling',
  'yield-ineffective',
]);
export type FindingKind = z.infer<typeof findingKind>;

/** An observation about a VM or a whole node, with the numbers it came from. */
export const finding = z
  .object({
    kind: findingKind,
    vm: name.optional(),
    severity,
    value: finite,
    threshold: finite,
    message: z.string().min(1).max(2000),
  })
  .strict();
export type Finding = z.infer<typeof finding>;

/**
 * The workload the advisor fitted to a VM's counters: what the models replay. The cluster planner
 * rebuilds a node from these to predict a VM move without the node's raw telemetry.
 */
export const fittedWorkload = z
  .object({
    pinning: z.enum(['none', 'dedicated']),
    busy: finite.min(0).max(1),
    burstUs: finite.positive(),
    locksPerSecond: finite.nonnegative(),
    holdUs: finite.positive(),
    ipisPerSecond: finite.nonnegative(),
    ipiTargets: positiveInt,
  })
  .strict();
export type FittedWorkload = z.infer<typeof fittedWorkload>;

/** One VM as the window observed it; null where the node could not give the signal. */
export const observedVm = z
  .object({
    name,
    vcpus: positiveInt,
    pleExitsPerVcpuSecond: finite.nonnegative().nullable(),
    /** Lower bound of the share of run time spent spinning (PLE exits × base window). */
    spinShare: finite.min(0).max(1).nullable(),
    /** Share of runnable time spent waiting for a pCPU. */
    waitShare: finite.min(0).max(1).nullable(),
    /** Share of CFS periods in which its cgroup was throttled (cpu.max); null without a limit. Optional: older senders omit it. */
    throttledRatio: finite.min(0).max(1).nullable().optional(),
    /**
     * Share of the VM's PV directed yields (kvm_sched_yield) that switched to their target, from
     * KVM's statistics (QMP per vCPU, or debugfs per VM); null without them or without attempts.
     * Optional: older senders omit it.
     */
    directedYieldSuccess: finite.min(0).max(1).nullable().optional(),
  })
  .strict();
export type ObservedVm = z.infer<typeof observedVm>;

/** One VM as the window saw it, with the workload fitted to it. */
export const analysisVm = observedVm.extend({ workload: fittedWorkload }).strict();
export type AnalysisVm = z.infer<typeof analysisVm>;

/** A what-if the advisor replayed, recommended or not: the target and the predicted change. */
export const whatIf = z
  .object({
    kind: recommendationKind,
    target: z.string().min(1).max(500),
    /** What it is, in an operator's words ("install linux-generic-hwe-24.04 …"). */
    summary: z.string().min(1).max(2000).optional(),
    pleExits: predictedChange,
    usefulNs: predictedChange,
    spinNs: predictedChange,
  })
  .strict();
export type WhatIf = z.infer<typeof whatIf>;

/** The node's agent as the node's owner saw it when the window closed: any replica can show it. */
export const agentStatus = z
  .object({
    /** The newest sample's own timestamp and interval. */
    lastSampleMs: epochMs,
    intervalMs: positiveInt,
    /** Missing sequence numbers in the window. */
    gaps: count,
    missing: z.array(missingSignal).max(LIMITS.missingSignals),
    spoolBytes: count,
    droppedSamples: count,
  })
  .strict();
export type AgentStatus = z.infer<typeof agentStatus>;

/** The advisor's verdict on one node's window, on spinwise.analyses.v1. */
export const nodeAnalysis = z
  .object({
    schema: z.literal('spinwise.analysis.v1'),
    node: nodeName,
    windowStartMs: epochMs,
    windowEndMs: epochMs,
    samples: count,
    /**
     * Samples newFromSeq…lastSeq arrived since the node's previous analysis: across replicas and
     * restarts each of a node's samples is new in exactly one analysis.
     */
    newFromSeq: count,
    lastSeq: count,
    kernel: z.string().min(1).max(200),
    model: name,
    severity,
    /** vCPUs per pCPU the node's VMs may use. */
    oversubscription: finite.nonnegative(),
    pcpus: positiveInt,
    /** Relative error of the fitted model's PLE exit rate against the observed one. */
    residual: finite.nonnegative(),
    /**
     * End of the window the model (fit and what-ifs) was fitted to, when earlier than this one's:
     * the node's load stayed within the model's resolution, so its model was reused, not refitted.
     */
    modelFittedToMs: epochMs.optional(),
    /**
     * What the model was fitted to, so that the node's next owner (after a handover or a restart)
     * takes the model over while the load stays within its resolution instead of fitting it
     * again: the node's shape (its discrete part, hashed), the PLE rate observed and fitted, and
     * the relative standard error of one run's PLE exits under the model, which widens that
     * resolution (absent when no what-if was replayed). Optional: older senders omit it (their
     * nodes are fitted afresh by a new owner).
     */
    fit: z
      .object({
        shape: z.number().int().nonnegative(),
        observedPleRate: finite.nonnegative(),
        fittedPleRate: finite.nonnegative(),
        pleNoise: finite.nonnegative().optional(),
      })
      .strict()
      .optional(),
    vms: z.array(analysisVm),
    findings: z.array(finding),
    whatIfs: z.array(whatIf),
    recommendations: z.array(recommendation),
    /** The advisor replica that owned the node's partition and made this analysis. */
    replica: name.optional(),
    agent: agentStatus.optional(),
  })
  .strict();
export type NodeAnalysis = z.infer<typeof nodeAnalysis>;
