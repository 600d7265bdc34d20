import type { Disruption, Recommendation } from '../../telemetry';

/**
 * How much each kind of action disrupts, relative to a live change: a live migration moves one VM,
 * a restart stops one, a KVM module reload needs every VM off the node, a kernel a reboot of it.
 * The weights order recommendations; they are a product choice, not a measurement.
 */
const WEIGHT: Record<Disruption, number> = {
  none: 1,
  'live-migration': 1.5,
  'vm-restart': 2,
  'module-reload': 4,
  reboot: 8,
};

/**
 * Predicted gain per disruption: the cut in spin time (PLE exits where spin is not predicted) plus
 * the gain in useful time, over the weight of what acting disrupts — so what an operator can do
 * today with little disruption comes first.
 */
export function priorityOf(predicted: Recommendation['predicted'], disruption: Disruption): number {
  const cut = -(predicted.spinNs?.change ?? predicted.pleExits.change);
  const gain = Math.max(0, cut) + Math.max(0, predicted.usefulNs.change);
  return Math.round((gain / WEIGHT[disruption]) * 1e4) / 1e4;
}
