import type { RecommendationMessage } from '../../telemetry';
import type { ModelRequest } from '../domain/analyze-node';
import type { Calibration } from '../domain/calibrate';
import type { Predictions } from '../domain/model-cache';
import type { PlannerNode, PlannerOptions } from '../planner/plan-moves';

/** What the advisor asks a worker: fit a node's workload, replay its what-ifs, or plan the cluster. */
export type ModelTask =
  | { kind: 'calibrate'; request: ModelRequest }
  | { kind: 'predict'; calibration: Calibration; oversubscribed: boolean; worst: ModelRequest['worst'] }
  | { kind: 'plan'; nodes: PlannerNode[]; options: PlannerOptions };

export type ModelJob = ModelTask & { id: number };

export type ModelResult =
  | { kind: 'calibrate'; calibration: Calibration }
  | { kind: 'predict'; predictions: Predictions; pleNoise: number | null }
  | { kind: 'plan'; moves: RecommendationMessage[] };

export type ModelReply =
  ({ id: number; ok: true; ms: number } & ModelResult) | { id: number; ok: false; error: string };
