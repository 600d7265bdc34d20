/**
 * The band, the same for every case: the predicted change has the published one's sign, and lies
 * within a factor of two of it when the published change is 20 % or more either way, or within
 * ±10 points when it is smaller. Never widened, never tuned per case.
 */
export function withinBand(published: number, predicted: number): boolean {
  if (Math.abs(published) >= 0.2) {
    const ratio = predicted / published;
    return ratio >= 0.5 && ratio <= 2;
  }
  const sameSign = published === 0 || Math.sign(predicted) === Math.sign(published);
  return sameSign && Math.abs(predicted - published) <= 0.1;
}
