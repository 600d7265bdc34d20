/** The advisor's REST API as the dashboard reads it (see api/docs): the server's own types. */
import type {
  ActiveAlert,
  AgentHealth,
  ApiAlert,
  Chart,
  NodeRecommendation,
  NodeSeries,
  NodeSummary,
  NodeView,
} from '../advisor/http/api-types.js';

export type { ActiveAlert, AgentHealth, Chart, NodeSummary };
export type Recommendation = NodeRecommendation;
export type NodeDetail = NodeView;
export type AlertEvent = ApiAlert;
export type Effect = NonNullable<Recommendation['effects']>[number];
export type Change = Recommendation['predicted']['pleExits'];

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
    get<NodeSeries>(`api/nodes/${enc(name)}/series?minutes=${minutes}`),
  recommendations: () => get<Recommendation[]>('api/recommendations'),
  alerts: () => get<AlertEvent[]>('api/alerts'),
  activeAlerts: () => get<ActiveAlert[]>('api/alerts/active'),
};
