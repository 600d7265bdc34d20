import type { AggregateQuery, Series, TimeSeriesStore } from '../../adapters/store/time-series-store';
import type { Chart } from '../http/api-types';
import { MEASUREMENTS } from '../store/store-points';

/** Lines of several series on one time axis (bucket starts), a missing bucket is null. */
function align(
  title: string,
  unit: string,
  lines: { label: string; series: Series | undefined; scale?: number }[],
): Chart {
  const starts = [...new Set(lines.flatMap((l) => l.series?.buckets.map((b) => b.startMs) ?? []))].sort(
    (a, b) => a - b,
  );
  return {
    title,
    unit,
    times: starts.map((ms) => ms / 1000),
    lines: lines.map((l) => {
      const byStart = new Map(l.series?.buckets.map((b) => [b.startMs, b.value * (l.scale ?? 1)]));
      return { label: l.label, values: starts.map((s) => byStart.get(s) ?? null) };
    }),
  };
}

/**
 * The node page's charts from `fromMs` to `endMs`: PLE exits per second and spin and
 * run-queue wait shares per VM, and the node's observed PLE exit rate beside what each what-if
 * predicted for it.
 */
export async function nodeCharts(
  store: TimeSeriesStore,
  node: string,
  fromMs: number,
  endMs: number,
): Promise<Chart[]> {
  // About 100 points a line, whatever the span; never below 100 ms (the embedded demo samples fast).
  const bucketMs = Math.max(100, Math.round((endMs - fromMs) / 100 / 100) * 100);
  const q = (measurement: string, field: string, aggregate: AggregateQuery['aggregate'], groupBy: string[]) =>
    store.query({
      measurement,
      field,
      aggregate,
      fromMs,
      toMs: endMs + bucketMs,
      bucketMs,
      where: { node },
      groupBy,
    });
  const [ple, spin, wait, observed, predicted] = await Promise.all([
    q(MEASUREMENTS.vcpu, 'pleExits', 'sum', ['vm']),
    q(MEASUREMENTS.vm, 'spinShare', 'mean', ['vm']),
    q(MEASUREMENTS.vm, 'waitShare', 'mean', ['vm']),
    q(MEASUREMENTS.node, 'pleRate', 'mean', []),
    q(MEASUREMENTS.prediction, 'pleExits', 'mean', ['target']),
  ]);
  const perVm = (series: Series[], scale = 1) =>
    series.map((s) => ({ label: s.tags.vm ?? '?', series: s, scale }));
  const observedSeries = observed[0];
  const predictedLines = predicted.map((p) => {
    const base = new Map(observedSeries?.buckets.map((b) => [b.startMs, b.value]));
    return {
      label: `predicted under ${p.tags.target}`,
      series: {
        tags: p.tags,
        buckets: p.buckets.flatMap((b) =>
          base.has(b.startMs) ? [{ startMs: b.startMs, value: base.get(b.startMs)! * (1 + b.value) }] : [],
        ),
      },
    };
  });
  return [
    align('PLE exits per second, per VM', 'exits/s', perVm(ple, 1000 / bucketMs)),
    align('Spin share of run time (lower bound), per VM', 'share', perVm(spin)),
    align('Run-queue wait share, per VM', 'share', perVm(wait)),
    align('PLE exits per vCPU-second: observed and predicted', 'exits/vCPU·s', [
      { label: 'observed', series: observedSeries },
      ...predictedLines,
    ]),
  ];
}
