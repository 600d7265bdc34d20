import type {
  AlertMessage,
  Finding,
  NodeAnalysis,
  NodeFindings,
  NodeInventory,
  Recommendation,
  RecommendationMessage,
  Severity,
} from '../../telemetry';

/**
 * The advisor's REST API as its clients read it: what the controller returns, and what the
 * dashboard imports. Types only — a browser build takes them without the server's code.
 */

/**
 * How a node's agent is doing, as the advisor sees it: when its newest sample arrived, the gaps
 * in its sequence, and the signals it says it cannot give (so "no data" never looks like "fine").
 */
export interface AgentHealth {
  /** Wall time since the newest sample arrived here. */
  lastSampleAgeMs: number;
  /** The newest sample's own timestamp and interval. */
  lastSampleMs: number | null;
  intervalMs: number | null;
  /** Missing sequence numbers in the window. */
  gaps: number;
  /** Silent for longer than three intervals (at least 30 s): the agent is down or cut off. */
  stale: boolean;
  missing: { signal: string; reason: string }[];
  spoolBytes: number;
  droppedSamples: number;
}

/** One row of the fleet: what `/api/nodes` lists and the dashboard searches and sorts by. */
export interface NodeSummary {
  name: string;
  kernel: string;
  model: string;
  severity: Severity;
  oversubscription: number;
  pcpus: number;
  vcpus: number;
  samples: number;
  analysedAtMs: number | null;
  /** The worst VM's spin share of run time (lower bound), from the newest analysis. */
  spinShare: number | null;
  vms: { name: string; vcpus: number; namespace?: string; vmi?: string }[];
  agent: AgentHealth;
  /** The replica that owns the node's partition (and its live window). */
  owner: string;
  /** How far the newest prediction lags the newest findings (0: up to date; null: none yet). */
  predictionAgeMs: number | null;
  /**
   * How much older than the newest findings the window is that the prediction's model was fitted
   * to: at least `predictionAgeMs`, more when the node kept its model because its load stayed
   * within the model's resolution (null: none yet).
   */
  modelAgeMs: number | null;
}

/** One node in depth, as its owner or a replica reading its analyses knows it. */
export interface NodeDetail {
  inventory: NodeInventory;
  /** The newest prediction (model fit and what-ifs); it may lag `findings` when the models are behind. */
  analysis: NodeAnalysis | null;
  /** The newest window's findings, published as it closed. */
  findings: NodeFindings | null;
  owner: string;
  /** First sample the owner holds: null when this replica is not the owner. */
  firstSampleMs: number | null;
  gaps: number;
  /** Duplicates the owner saw in its window: null when this replica is not the owner. */
  duplicates: number | null;
  agent: AgentHealth;
}

/** An alert raised and not yet cleared (`/api/alerts/active`). */
export interface ActiveAlert {
  node: string;
  finding: Finding;
  vms: string[];
  sinceMs: number;
}

/** What `/api/nodes/:name` answers: the node, with its active alerts. */
export type NodeView = NodeDetail & { activeAlerts: ActiveAlert[] };

/** A node entering or leaving excessive spinning of one kind, after hysteresis (`/api/alerts`). */
export interface AlertEvent {
  node: string;
  transition: 'raised' | 'cleared';
  /** The worst VM's finding (for a clear: as last seen over its threshold). */
  finding: Finding;
  /** Every VM over the threshold, worst first. */
  vms: string[];
  topRecommendation?: Recommendation;
  atMs: number;
}

/** One chart's data as uPlot takes it: shared x (seconds) and one y array per line, null for gaps. */
export interface Chart {
  title: string;
  unit: string;
  times: number[];
  lines: { label: string; values: (number | null)[] }[];
}

/** What `/api/nodes/:name/series` answers. */
export interface NodeSeries {
  node: string;
  fromMs: number;
  endMs: number;
  charts: Chart[];
}

/** One row of `/api/recommendations`: a node's recommendation, or a move of the cluster planner. */
export type NodeRecommendation = Recommendation &
  Pick<RecommendationMessage, 'node' | 'vm' | 'toNode' | 'effects'>;

/** One row of `/api/alerts`: an alert transition as every replica hears it. */
export type ApiAlert = AlertMessage;
