/** The advisor's REST API as the dashboard reads it (see /api/docs). */

export type Severity = 'ok' | 'info' | 'warning' | 'critical';

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
}

export interface Change {
  change: number;
  ci95: number;
}

export interface Recommendation {
  node: string;
  kind: 'kernel' | 'ple' | 'placement' | 'move';
  summary: string;
  target: string;
  predicted: { pleExits: Change; usefulNs: Change; spinNs?: Change };
  confidence: number;
  brokenAssumptions: string[];
  evidence: string[];
  vm?: string;
  toNode?: string;
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

export interface NodeDetail {
  inventory: {
    kernel: string;
    pcpus: number;
    scheduler: string;
    cpuVendor: string;
    vms: { name: string; vcpus: unknown[] }[];
  };
  analysis: {
    model: string;
    severity: Severity;
    oversubscription: number;
    residual: number;
    samples: number;
    windowStartMs: number;
    windowEndMs: number;
    findings: Finding[];
    whatIfs: { kind: string; target: string; pleExits: Change; usefulNs: Change; spinNs: Change }[];
    recommendations: Recommendation[];
  } | null;
  activeAlerts: Finding[];
}

export interface Chart {
  title: string;
  unit: string;
  times: number[];
  lines: { label: string; values: (number | null)[] }[];
}

async function get<T>(path: string): Promise<T> {
  const res = await fetch(path, { headers: { accept: 'application/json' } });
  if (!res.ok) throw new Error(`${path}: HTTP ${res.status}`);
  return (await res.json()) as T;
}

export const api = {
  nodes: () => get<NodeSummary[]>('/api/nodes'),
  node: (name: string) => get<NodeDetail>(`/api/nodes/${encodeURIComponent(name)}`),
  series: (name: string, minutes: number) =>
    get<{ charts: Chart[] }>(`/api/nodes/${encodeURIComponent(name)}/series?minutes=${minutes}`),
  recommendations: () => get<Recommendation[]>('/api/recommendations'),
  alerts: () => get<AlertEvent[]>('/api/alerts'),
};
