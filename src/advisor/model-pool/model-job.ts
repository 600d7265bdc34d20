import type { NodeInventory, NodeSample, RecommendationMessage } from '../../telemetry';
import type { NodeAnalysisResult } from '../domain/analyze-node';
import type { FitHint } from '../domain/calibrate';
import type { PlannerNode, PlannerOptions } from '../planner/plan-moves';

/** What the advisor asks a worker to model: one node's window, or a cluster plan. */
export type ModelJob =
  | { id: number; kind: 'analyse'; inventory: NodeInventory; samples: NodeSample[]; hint?: FitHint }
  | { id: number; kind: 'plan'; nodes: PlannerNode[]; options: PlannerOptions };

export interface CacheStats {
  hits: number;
  misses: number;
  size: number;
}

export type ModelReply =
  | { id: number; ok: true; kind: 'analyse'; result: NodeAnalysisResult; ms: number; cache: CacheStats }
  | { id: number; ok: true; kind: 'plan'; moves: RecommendationMessage[]; ms: number }
  | { id: number; ok: false; error: string };
