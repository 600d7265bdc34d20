import { z } from 'zod';
import { epochMs, finite, name, nodeName, predictedChange } from './primitives';

export const recommendationKind = z.enum(['kernel', 'ple', 'placement', 'move']);
export type RecommendationKind = z.infer<typeof recommendationKind>;

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
