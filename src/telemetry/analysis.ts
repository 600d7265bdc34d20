import { z } from 'zod';
import { count, epochMs, finite, name, nodeName, severity } from './primitives';
import { recommendation } from './recommendation';

export const findingKind = z.enum(['ple-rate', 'spin-share', 'runqueue-wait', 'yield-ineffective']);

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

/** The advisor's verdict on one node's window, on spinwise.analyses.v1. */
export const nodeAnalysis = z
  .object({
    schema: z.literal('spinwise.analysis.v1'),
    node: nodeName,
    windowStartMs: epochMs,
    windowEndMs: epochMs,
    samples: count,
    kernel: z.string().min(1).max(200),
    model: name,
    severity,
    /** vCPUs per pCPU the node's VMs may use. */
    oversubscription: finite.nonnegative(),
    findings: z.array(finding),
    recommendations: z.array(recommendation),
  })
  .strict();
export type NodeAnalysis = z.infer<typeof nodeAnalysis>;
