import { z } from 'zod';
import { epochMs, finite, name, nodeName, predictedChange } from './primitives';

export const recommendationKind = z.enum([
  'kernel',
  'ple',
  'placement',
  'move',
  'vm-setting',
  'host-setting',
]);
export type RecommendationKind = z.infer<typeof recommendationKind>;

/**
 * What acting on a recommendation disrupts, cheapest first: nothing running (a live change), one
 * VM moved (live migration), one VM restarted (a CPU feature is fixed at QEMU start), every VM off
 * the node (a KVM module reload), the node rebooted (a kernel).
 */
export const disruption = z.enum(['none', 'live-migration', 'vm-restart', 'module-reload', 'reboot']);
export type Disruption = z.infer<typeof disruption>;

/** How to apply it on one platform. */
export const applyStep = z
  .object({ on: z.enum(['kubevirt', 'libvirt', 'qemu', 'host']), how: z.string().min(1).max(1000) })
  .strict();
export type ApplyStep = z.infer<typeof applyStep>;

/** One thing to change on a node, with the model's predicted effect and what it rests on. */
export const recommendation = z
  .object({
    kind: recommendationKind,
    summary: z.string().min(1).max(2000),
    /** The model name for a kernel recommendation; a VM, pCPU set or node otherwise. */
    target: z.string().min(1).max(500),
    predicted: z
      .object({
        pleExits: predictedChange,
        usefulNs: predictedChange,
        /** Time vCPUs spent spinning (the planner's objective for moves). */
        spinNs: predictedChange.optional(),
      })
      .strict(),
    /** 0..1: lowered for every model assumption this node breaks. */
    confidence: finite.min(0).max(1),
    /** What acting on it disrupts (absent from analyses made before it was reported). */
    disruption: disruption.optional(),
    /** Predicted gain per disruption: the order in which a node's recommendations are listed. */
    priority: finite.optional(),
    /** How to apply it, per platform. */
    apply: z.array(applyStep).max(8).optional(),
    brokenAssumptions: z.array(z.string().max(500)),
    evidence: z.array(z.string().max(1000)),
  })
  .strict();
export type Recommendation = z.infer<typeof recommendation>;

/** A cluster planner output on spinwise.recommendations.v1 (moves between nodes, or a node's top action). */
export const recommendationMessage = z
  .object({
    schema: z.literal('spinwise.recommendation.v1'),
    node: nodeName,
    generatedAtMs: epochMs,
    vm: name.optional(),
    toNode: nodeName.optional(),
    recommendation,
    /** For a move: the predicted effect on each node it touches. */
    effects: z
      .array(
        z
          .object({
            node: nodeName,
            pleExits: predictedChange,
            usefulNs: predictedChange,
            spinNs: predictedChange,
          })
          .strict(),
      )
      .optional(),
  })
  .strict();
export type RecommendationMessage = z.infer<typeof recommendationMessage>;
