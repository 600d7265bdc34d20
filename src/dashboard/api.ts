/** The advisor's REST API as the dashboard reads it (see api/docs). */

export type Severity = 'ok' | 'info' | 'warning' | 'critical';

export interface AgentHealth {
  lastSampleAgeMs: number;
  lastSampleMs: number | null;
  intervalMs: number | null;
  gaps: number;
  stale: boolean;
  missing: { signal: string; reason: string }[];
  spoolBytes: number;
  droppedSamples: number;
}

export interface NodeVm {
  name: string;
  vcpus: number;
  namespace?: string;
  vmi?: string;
}

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
  spinShare: number | null;
  vms: NodeVm[];
  agent: AgentHealth;
  /** The advisor replica that owns the node. */
  owner: string;
  /** How far the newest prediction lags the newest findings. */
  predictionAgeMs: number | null;
  /** How much older than the newest findings the window is that the prediction's model was fitted to. */
  modelAgeMs: number | null;
}

export interface Change {
  change: number;
  ci95: number;
}

export interface Effect {
  node: string;
  pleExits: Change;
  usefulNs: Change;
  spinNs: Change;
}

export interface Recommendation {
  node: string;
  kind: 'kernel' | 'ple' | 'placement' | 'move' | 'vm-setting' | 'host-setting';
  summary: string;
  target: string;
  predicted: { pleExits: Change; usefulNs: Change; spinNs?: Change };
  confidence: number;
  /** What acting disrupts, and the gain per disruption the advisor orders by. */
  disruption?: 'none' | 'live-migration' | 'vm-restart' | 'module-reload' | 'reboot';
  priority?: number;
  apply?: { on: 'kubevirt' | 'libvirt' | 'qemu' | 'host'; how: string }[];
  brokenAssumptions: string[];
  evidence: string[];
  vm?: string;
  toNode?: string;
  effects?: Effect[];
}

export interface Finding {
  kind: string;
  vm?: string;
  severity: Severity;
  value: number;
  threshold: number;
  message: string;
}

export interface AlertEvent {
  node: string;
  transition: 'raised' | 'cleared';
  finding: Finding;
  vms: string[];
  atMs: number;
}

export interface ActiveAlert {
  node: string;
  finding: Finding;
  vms: string[];
  sinceMs: number;
}

export interface AnalysedVm {
  name: string;
  vcpus: number;
  pleExitsPerVcpuSecond: number | null;
  spinShare: number | null;
  waitShare: number | null;
  /** Share of PV directed yields that switched (KVM statistics); absent from older advisors. */
  directedYieldSuccess?: number | null;
}

export interface NodeDetail {
  inventory: {
    kernel: string;
    pcpus: number;
    scheduler: string;
    cpuVendor: string;
    vms: {
      name: string;
      pid: number;
      vcpus: { index: number; tid: number; affinity: number[] }[];
      kubevirt?: { namespace?: string; vmi?: string; podUid?: string };
    }[];
  };
  analysis: {
    model: string;
    severity: Severity;
    oversubscription: number;
    residual: number;
    /** Set when the node kept a model fitted to this earlier window (its load within the model's resolution). */
    modelFittedToMs?: number;
    samples: number;
    windowStartMs: number;
    windowEndMs: number;
    vms: AnalysedVm[];
    findings: Finding[];
    whatIfs: {
      kind: string;
      target: string;
      summary?: string;
      pleExits: Change;
      usefulNs: Change;
      spinNs: Change;
    }[];
    recommendations: Omit<Recommendation, 'node'>[];
  } | null;
  /** The newest window's findings (out as it closed); the analysis may be older. */
  findings: {
    severity: Severity;
    samples: number;
    windowStartMs: number;
    windowEndMs: number;
    vms: Omit<AnalysedVm, 'workload'>[];
    findings: Finding[];
  } | null;
  activeAlerts: Omit<ActiveAlert, 'node'>[];
  /** Null when the replica answering is not the node's owner. */
  duplicates: number | null;
  agent: AgentHealth;
  owner: string;
}

export interface Chart {
  title: string;
  unit: string;
  times: number[];
  lines: { label: string; values: (number | null)[] }[];
}

/** Paths are relative to the page, so the dashboard works under any prefix (Ingress, kubectl proxy). */
async function get<T>(path: string): Promise<T> {
  const res = await fetch(path, { headers: { accept: 'application/json' } });
  if (!res.ok) throw new Error(`${path}: HTTP ${res.status}`);
  return (await res.json()) as T;
}

const enc = encodeURIComponent;

export const api = {
  nodes: () => get<NodeSummary[]>('api/nodes'),
  node: (name: string) => get<NodeDetail>(`api/nodes/${enc(name)}`),
  series: (name: string, minutes: number) =>
    get<{ charts: Chart[] }>(`api/nodes/${enc(name)}/series?minutes=${minutes}`),
  recommendations: () => get<Recommendation[]>('api/recommendations'),
  alerts: () => get<AlertEvent[]>('api/alerts'),
  activeAlerts: () => get<ActiveAlert[]>('api/alerts/active'),
};
