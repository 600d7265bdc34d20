import type { Calibration } from './calibrate';
import { predictionFamily, type ModelledNode } from './model-cache';
import { NearCache } from './near-cache';
import { predictionsStillStand } from './model-reuse';

/** A fit's what-ifs replayed, and the precision of the baseline they were paired with. */
export type Replayed = Pick<ModelledNode, 'predictions' | 'pleNoise'>;

/** What-ifs replayed on one fit, and what they were replayed on. */
interface ReplayedOn extends Replayed {
  predictedOn: Calibration['workloads'];
  /** The index of the VM that spun most (what a placement what-if moves), or null. */
  worst: number | null;
}

/** The newest replays kept per family: alike nodes at as many other loads. */
const REPLAYS_PER_FAMILY = 8;

/**
 * What-ifs replayed on the fleet's fits, by prediction family (`predictionFamily`: the scenario
 * replayed without the rates a fit moves). A fit whose rates come as close to one of them as a
 * node's own refit may before its what-ifs are replayed again (`predictionsStillStand`) takes
 * those instead — wherever the bins of the prediction key fall between the two.
 */
export class NearReplays {
  private readonly families = new NearCache<ReplayedOn>(REPLAYS_PER_FAMILY);

  /** Replayed what-ifs that stand for `calibration`, with the workloads they were replayed on. */
  find(
    calibration: Calibration,
    oversubscribed: boolean,
    worst: { index: number } | null,
  ): (Replayed & { predictedOn: Calibration['workloads'] }) | undefined {
    const fitted = calibration.workloads;
    const near = this.families.find(
      predictionFamily(calibration, oversubscribed, worst),
      (r) =>
        predictionsStillStand(r.predictedOn, fitted) &&
        // The family has a worst VM when this fit has one: theirs must be as close.
        (worst === null || predictionsStillStand([r.predictedOn[r.worst!]!], [fitted[worst.index]!])),
    );
    return near && { predictions: near.predictions, pleNoise: near.pleNoise, predictedOn: near.predictedOn };
  }

  /** What-ifs replayed on `calibration`, kept for its family's next fits. */
  add(
    calibration: Calibration,
    oversubscribed: boolean,
    worst: { index: number } | null,
    replayed: Replayed,
  ): void {
    this.families.add(predictionFamily(calibration, oversubscribed, worst), {
      ...replayed,
      predictedOn: calibration.workloads,
      worst: worst?.index ?? null,
    });
  }
}
