import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { AnalysisRunner } from '../../src/advisor/analysis/analysis-runner';
import {
  modelNode,
  observeWindow,
  prepareAnalysis,
  wireAnalysis,
} from '../../src/advisor/domain/analyze-node';
import { takeOverModel } from '../../src/advisor/domain/model-takeover';
import { codecs } from '../../src/telemetry';
import { calibrate, observe, type Calibration } from '../../src/advisor/domain/calibrate';
import { predictionKey } from '../../src/advisor/domain/model-cache';
import { NearReplays } from '../../src/advisor/domain/near-replays';
import { windowSample, type WindowSample } from '../../src/advisor/domain/window-sample';
import { tinyInventory, tinySample } from '../support/tiny-node';

const BASE_MS = Date.now() - 3_600_000;

/** A minute of the node's samples from `fromSeq`: 900 PLE exits per vCPU and sample × `ple` (its load drifting). */
function minute(
  node: string,
  fromSeq: number,
  ple: number,
  vcpus = 4,
): { node: string; samples: WindowSample[] } {
  const samples = Array.from({ length: 6 }, (_, i) => {
    const s = tinySample(node, fromSeq + i, BASE_MS, vcpus);
    return windowSample({ ...s, vcpus: s.vcpus.map((v) => ({ ...v, pleExits: Math.round(900 * ple) })) });
  });
  return { node, samples };
}

function analyse(runner: AnalysisRunner, { node, samples }: ReturnType<typeof minute>, vcpus = 4) {
  const inventory = tinyInventory(node, vcpus);
  const window = {
    inventory,
    samples,
    observed: observeWindow(inventory, samples),
    closedAtWallMs: Date.now(),
  };
  return runner.run(window, { urgent: () => false, started: () => undefined });
}

/** A one-worker runner for `use`, closed after. */
async function withRunner(use: (runner: AnalysisRunner) => Promise<void>): Promise<void> {
  const runner = new AnalysisRunner(1);
  runner.start();
  try {
    await use(runner);
  } finally {
    await runner.close();
  }
}

describe('analysis runner', () => {
  it("keeps a node's model while its load stays within half a fingerprint bin of the fit, and fits again beyond", () =>
    withRunner(async (runner) => {
      const first = await analyse(runner, minute('drifting', 0, 1));
      assert.equal(runner.stats().misses, 1);
      assert.equal(first.result.modelFittedToMs, undefined, 'fitted to its own window');

      // PLE exits up 3 %: within half a bin (±4.9 % for the fingerprint's ×1.1 bins) of the fit.
      const drifted = await analyse(runner, minute('drifting', 6, 1.03));
      assert.equal(runner.stats().reused, 1);
      assert.equal(runner.stats().misses, 1);
      assert.equal(
        drifted.result.modelFittedToMs,
        first.result.windowEndMs,
        'says which window it was fitted to',
      );
      assert.ok(
        drifted.result.recommendations.every((r) => r.evidence.some((e) => e.includes('model fitted to'))),
      );
      assert.equal(drifted.result.model, first.result.model);
      assert.deepEqual(
        drifted.result.vms.map((v) => v.workload),
        first.result.vms.map((v) => v.workload),
      );

      // Up 12 % from the fit: beyond half a bin, so fitted again, to this window.
      const moved = await analyse(runner, minute('drifting', 12, 1.12));
      assert.equal(runner.stats().misses, 2);
      assert.equal(moved.result.modelFittedToMs, undefined);
      assert.ok(
        moved.result.residual <= 0.05,
        `the refit reproduces the new PLE rate (residual ${moved.result.residual})`,
      );
    }));

  it("a refit whose lock rate moved less than ×1.1 keeps the node's what-ifs; one that moved more replays them", () =>
    withRunner(async (runner) => {
      const rate = (a: { result: { vms: { workload?: { locksPerSecond: number } }[] } }) =>
        a.result.vms[0]!.workload!.locksPerSecond;
      const first = await analyse(runner, minute('refit', 0, 1));
      const replays = runner.stats().predictionMisses;
      // PLE exits up 6 %: out of the model's band (±4.9 %), so fitted again; the lock rate moves less.
      const near = await analyse(runner, minute('refit', 6, 1.06));
      assert.equal(runner.stats().misses, 2);
      assert.ok(rate(near) / rate(first) < 1.1, `${rate(first)} -> ${rate(near)}`);
      assert.equal(runner.stats().predictionsKept, 1);
      assert.equal(runner.stats().predictionMisses, replays, 'no what-if replayed');
      assert.deepEqual(near.result.whatIfs, first.result.whatIfs);
      // Up 50 %: the lock rate moves beyond ×1.1 of the one the what-ifs were replayed on.
      const far = await analyse(runner, minute('refit', 12, 1.5));
      assert.ok(rate(far) / rate(first) > 1.1, `${rate(first)} -> ${rate(far)}`);
      assert.equal(runner.stats().predictionsKept, 1);
      assert.equal(runner.stats().predictionMisses, replays + 1, 'replayed');
    }));

  it("a window in another bin that an alike node's model stands for, as its own model would, is answered without a worker", () =>
    withRunner(async (runner) => {
      const keyOf = (m: ReturnType<typeof minute>) =>
        prepareAnalysis(tinyInventory(m.node, 4), m.samples).request.key;
      await analyse(runner, minute('near-1', 0, 1));
      // PLE exits up 4 %: across the edge of a fingerprint bin, within half a bin of the fit.
      const across = minute('near-2', 0, 1.04);
      assert.notEqual(keyOf(across), keyOf(minute('near-1', 0, 1)), 'another fingerprint');
      const near = await analyse(runner, across);
      assert.deepEqual([runner.stats().misses, runner.stats().nearHits], [1, 1]);
      assert.equal(near.result.cached, true);
      assert.equal(near.result.node, 'near-2');
      // Up 8 %: beyond half a bin of either fit.
      await analyse(runner, minute('near-3', 0, 1.08));
      assert.deepEqual([runner.stats().misses, runner.stats().nearHits], [2, 1]);
    }));

  it('a waiting window is answered as soon as a model that stands for it is stored, not when a worker frees up', () =>
    withRunner(async (runner) => {
      const held = await runner.models.acquire(() => [0]);
      const done: string[] = [];
      const run = (name: string, m: ReturnType<typeof minute>, vcpus = 4) =>
        analyse(runner, m, vcpus).then((a) => (done.push(name), a));
      // Queued in this order, all alike in priority: a fit, another shape's fit, a twin of the first.
      const first = run('first', minute('wake-1', 0, 1));
      const other = run('other shape', minute('wake-2', 0, 1, 8), 8);
      const twin = run('twin', minute('wake-3', 0, 1.02));
      assert.equal(runner.models.queued, 3);
      held.release();
      const answered = await twin;
      assert.ok(!done.includes('other shape'), "the twin did not wait for the other shape's fit");
      assert.equal(answered.result.cached, true);
      assert.equal(runner.models.queued, 0, 'it left the queue');
      assert.equal(runner.stats().answeredWaiting, 1);
      await Promise.all([first, other]);
      assert.equal(done.at(-1), 'other shape');
      assert.equal(runner.stats().misses, 2);
    }));

  it('a window of a fingerprint modelled before (another node alike) is answered without a worker', () =>
    withRunner(async (runner) => {
      await analyse(runner, minute('alike-1', 0, 1));
      const twin = await analyse(runner, minute('alike-2', 0, 1));
      assert.equal(runner.stats().hits, 1);
      assert.equal(runner.stats().misses, 1);
      assert.equal(twin.result.cached, true);
      assert.equal(twin.result.node, 'alike-2');
    }));
});

describe('calibration warm start', () => {
  it("starts from the node's previous fit: fewer model runs, as close a fit", () => {
    const inventory = tinyInventory('warm', 4);
    const before = observe(inventory, minute('warm', 0, 1).samples);
    // The node's PLE exits up 12 %: fitted again, from the previous fit or from nothing.
    const after = observe(inventory, minute('warm', 6, 1.12).samples);
    const cold = calibrate(inventory, before);
    const coldAgain = calibrate(inventory, after);
    const warm = calibrate(inventory, after, 1, cold.hint);
    assert.ok(warm.residual <= 0.05, `the warm fit within the fit tolerance (residual ${warm.residual})`);
    assert.ok(
      warm.runs < coldAgain.runs,
      `warm: ${warm.runs} model runs; cold, on the same window: ${coldAgain.runs}`,
    );
  });
});

describe('prediction key', () => {
  /** A fitted 8-vCPU node on 4 pCPUs (oversubscribed), its lock rate set to `lockRate`. */
  function fitted(lockRate: number, name = 'vm-a-0'): Calibration {
    const inventory = tinyInventory('key', 8);
    const cal = calibrate(inventory, observe(inventory, minute('key', 0, 1, 8).samples));
    return {
      ...cal,
      scenario: {
        ...cal.scenario,
        vms: cal.scenario.vms.map((v) => ({
          ...v,
          name,
          workload: { ...v.workload, locks: { ...v.workload.locks, perSecond: lockRate } },
        })),
      },
    };
  }

  it('alike fits share their what-ifs: the lock rate binned ±12 %, VM names aside', () => {
    const key = (c: Calibration) => predictionKey(c, true, { index: 0 });
    const centre = 1.25 ** 30; // the middle of a bin
    assert.equal(key(fitted(centre)), key(fitted(centre, 'another-name-0')), 'names never split a bin');
    assert.equal(key(fitted(centre)), key(fitted(centre * 1.1)), '+10 %: the same bin');
    assert.notEqual(key(fitted(centre)), key(fitted(centre * 1.3)), '+30 %: another bin');
    assert.notEqual(
      predictionKey(fitted(centre), true, { index: 0 }),
      predictionKey(fitted(centre), false, null),
    );
  });

  it("a fit takes the what-ifs replayed on a near fit of its family, across a bin's edge, and only within ×1.1", () => {
    /** `cal` with its lock rate (every VM's) at `lockRate`, as a fit sets it. */
    const at = (lockRate: number): Calibration => {
      const cal = fitted(lockRate);
      return { ...cal, workloads: cal.workloads.map((w) => ({ ...w, locksPerSecond: lockRate })) };
    };
    const edge = 1.25 ** 30.5; // between two bins of the prediction key
    const near = new NearReplays();
    const replayed = { predictions: new Map(), pleNoise: 0.03 };
    near.add(at(edge / 1.04), true, { index: 0 }, replayed);
    const across = at(edge * 1.04);
    assert.notEqual(
      predictionKey(across, true, { index: 0 }),
      predictionKey(at(edge / 1.04), true, { index: 0 }),
    );
    const found = near.find(across, true, { index: 0 });
    assert.ok(found, '×1.08 apart, across the edge: found');
    assert.equal(found.predictions, replayed.predictions);
    assert.equal(found.pleNoise, 0.03);
    assert.deepEqual(found.predictedOn, at(edge / 1.04).workloads, 'with what it was replayed on');
    assert.equal(near.find(at(edge * 1.08), true, { index: 0 }), undefined, '×1.12 apart: replayed');
    assert.equal(near.find(across, false, null), undefined, 'another family (not oversubscribed)');
    const burstier = {
      ...across,
      workloads: across.workloads.map((w) => ({ ...w, burstUs: w.burstUs * 1.5 })),
    };
    assert.equal(near.find(burstier, true, { index: 0 }), undefined, 'bursts ×1.5: replayed');
  });
});

describe('model takeover', () => {
  /** A node's first window analysed as its owner would, and the analysis as it went on the topic. */
  function published(node: string) {
    const { samples } = minute(node, 0, 1, 8);
    const inventory = tinyInventory(node, 8);
    const prepared = prepareAnalysis(inventory, samples);
    const modelled = modelNode(prepared.request);
    const analysis = wireAnalysis(prepared.finish(modelled, { cached: false }));
    return {
      inventory,
      prepared,
      modelled,
      analysis: codecs.analysis.decode(codecs.analysis.encode(analysis)),
    };
  }

  it("rebuilds a node's model from its published analysis: the scenario fitted, the what-ifs replayed, the fit to start from", () => {
    const { inventory, prepared, modelled, analysis } = published('handed');
    const taken = takeOverModel(analysis, prepared.request);
    assert.ok(taken, 'taken over');
    assert.deepEqual(taken.modelled.calibration.scenario, modelled.calibration.scenario);
    assert.ok(modelled.predictions.size > 0, 'an oversubscribed node has what-ifs');
    assert.deepEqual(taken.modelled.predictions, modelled.predictions);
    assert.deepEqual(taken.modelled.calibration.hint, modelled.calibration.hint);
    assert.deepEqual(taken.modelled.calibration.assumptions, modelled.calibration.assumptions);
    assert.ok(modelled.pleNoise! > 0, 'the baseline gives its noise');
    assert.equal(taken.modelled.pleNoise, modelled.pleNoise, "and so the model's resolution travels");
    assert.equal(taken.fittedToMs, analysis.windowEndMs);

    const upgraded = prepareAnalysis(
      { ...inventory, kernel: '5.15.0-91-generic' },
      minute('handed', 6, 1, 8).samples,
    );
    assert.equal(takeOverModel(analysis, upgraded.request), null, 'another kernel: another shape and model');
    const { fit: _fit, ...older } = analysis;
    assert.equal(takeOverModel(older, prepared.request), null, 'an older sender says nothing of its fit');
  });

  it("a replica without a model of the node answers its next window from the previous owner's, and fits once the load leaves it", async () => {
    const { analysis } = published('handed-over');
    const runner = new AnalysisRunner(1);
    runner.takeOverFrom((node) => (node === 'handed-over' ? analysis : undefined));
    runner.start();
    try {
      const next = await analyse(runner, minute('handed-over', 6, 1.03, 8), 8);
      assert.deepEqual(
        { takenOver: runner.stats().takenOver, reused: runner.stats().reused, misses: runner.stats().misses },
        { takenOver: 1, reused: 1, misses: 0 },
      );
      assert.equal(next.result.modelFittedToMs, analysis.windowEndMs);
      assert.deepEqual(next.result.whatIfs, analysis.whatIfs);

      // Up 30 %: beyond the model's resolution however noisy the model (×1.25 at most).
      const moved = await analyse(runner, minute('handed-over', 12, 1.3, 8), 8);
      assert.equal(runner.stats().misses, 1, 'fitted once its load left the model');
      assert.equal(moved.result.modelFittedToMs, undefined);
      assert.equal(runner.stats().takenOver, 1);
    } finally {
      await runner.close();
    }
  });
});
