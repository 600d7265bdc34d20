import type { RecommendationKind } from '../../telemetry';
import type { Change, Prediction } from './predict';

/**
 * One condition a what-if's predicted change must meet to be recommended: its estimate, its whole
 * 95 % interval (surely) or some of it (possibly) below or above a bound.
 */
interface Requirement {
  field: keyof Prediction;
  bound: number;
  side: 'below' | 'above';
  of: 'estimate' | 'surely' | 'possibly';
}

const requirement = (
  field: keyof Prediction,
  side: Requirement['side'],
  bound: number,
  of: Requirement['of'],
): Requirement => ({ field, bound, side, of });

/**
 * When a what-if's prediction is worth recommending: a large enough gain in its objective whose
 * interval excludes zero, so that noise is never advice. The objective is spin time for a kernel
 * or a placement (what the vCPUs waste), PLE exits for PLE tuning (on a host where they are pure
 * overhead), and none may cost useful time beyond a small tolerance.
 */
function requirements(kind: RecommendationKind): Requirement[] {
  switch (kind) {
    case 'kernel':
      return [
        requirement('pleExits', 'below', -0.2, 'estimate'),
        requirement('spinNs', 'below', 0, 'surely'),
      ];
    case 'ple':
      return [
        requirement('pleExits', 'below', 0, 'surely'),
        requirement('usefulNs', 'above', -0.005, 'estimate'),
      ];
    case 'host-setting':
      // Halt polling gives back CPU time: judged by useful guest time (at least +1 %, surely).
      return [
        requirement('usefulNs', 'above', 0.01, 'surely'),
        requirement('spinNs', 'below', 0, 'possibly'),
      ];
    default:
      return [
        requirement('spinNs', 'below', -0.2, 'estimate'),
        requirement('spinNs', 'below', 0, 'surely'),
        requirement('usefulNs', 'above', -0.01, 'estimate'),
      ];
  }
}

function met(r: Requirement, c: Change): boolean {
  const below = r.side === 'below';
  switch (r.of) {
    case 'estimate':
      return below ? c.change < r.bound : c.change >= r.bound;
    case 'surely':
      return below ? c.change + c.ci95 < r.bound : c.change - c.ci95 > r.bound;
    case 'possibly':
      return below ? c.change - c.ci95 <= r.bound : c.change + c.ci95 >= r.bound;
  }
}

/**
 * More seeds would not change whether `r` is met: the interval lies wholly on one side of the
 * bound, or is a point (every seed gave the same change — a node with no spinning at all).
 */
function settled(r: Requirement, c: Change): boolean {
  return c.ci95 === 0 || c.change + c.ci95 < r.bound || c.change - c.ci95 > r.bound;
}

export function worthIt(kind: RecommendationKind, p: Prediction): boolean {
  return requirements(kind).every((r) => met(r, p[r.field]));
}

/**
 * Whether more seeds could change `worthIt`: decided once one unmet requirement's interval lies
 * wholly on the wrong side of its bound, or every requirement's interval on one side.
 */
export function decided(kind: RecommendationKind, p: Prediction): boolean {
  const rs = requirements(kind);
  return (
    rs.some((r) => !met(r, p[r.field]) && settled(r, p[r.field])) || rs.every((r) => settled(r, p[r.field]))
  );
}
