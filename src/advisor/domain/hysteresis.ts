/**
 * Raise after `raiseAfter` consecutive windows over the threshold, clear after `clearAfter`
 * consecutive windows under it: one noisy window neither pages anyone nor silences an alert.
 */
export class Hysteresis {
  private over = 0;
  private under = 0;
  active = false;

  constructor(
    readonly raiseAfter: number,
    readonly clearAfter: number,
  ) {
    if (raiseAfter < 1 || clearAfter < 1) throw new Error('raiseAfter and clearAfter must be ≥ 1');
  }

  /** Feeds one window; returns 'raised' or 'cleared' on a transition, null otherwise. */
  observe(exceeded: boolean): 'raised' | 'cleared' | null {
    if (exceeded) {
      this.over++;
      this.under = 0;
      if (!this.active && this.over >= this.raiseAfter) {
        this.active = true;
        return 'raised';
      }
    } else {
      this.under++;
      this.over = 0;
      if (this.active && this.under >= this.clearAfter) {
        this.active = false;
        return 'cleared';
      }
    }
    return null;
  }
}
