import type { RecommendationMessage } from '../../telemetry';
import type { ModelRequest } from '../domain/analyze-node';
import type { ModelledNode } from '../domain/model-cache';
import type { PlannerNode, PlannerOptions } from '../planner/plan-moves';

/** What the advisor asks a worker to model: one node's fitted workload and what-ifs, or a cluster plan. */
export type ModelTask =
  { kind: 'model'; request: ModelRequest } | { kind: 'plan'; nodes: PlannerNode[]; options: PlannerOptions };

export type ModelJob = ModelTask & { id: number };

export type ModelReply =
  | { id: number; ok: true; kind: 'model'; modelled: ModelledNode; ms: number }
  | { id: number; ok: true; kind: 'plan'; moves: RecommendationMessage[]; ms: number }
  | { id: number; ok: false; error: string };
