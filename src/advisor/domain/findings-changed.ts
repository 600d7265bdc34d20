import type { NodeAnalysis } from '../../telemetry';
import type { WindowObservation } from './analyze-node';

/**
 * Whether a node's findings differ from what its newest prediction saw (or it has none): its
 * model work goes ahead of steady nodes' when the workers are behind.
 */
export function findingsChanged(previous: NodeAnalysis | undefined, observed: WindowObservation): boolean {
  if (!previous || previous.severity !== observed.severity) return true;
  const kinds = (fs: readonly { kind: string; vm?: string }[]) =>
    fs
      .map((f) => `${f.kind}/${f.vm ?? ''}`)
      .sort()
      .join();
  return kinds(previous.findings) !== kinds(observed.findings);
}
