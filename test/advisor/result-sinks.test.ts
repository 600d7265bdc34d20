import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { EmbeddedBus } from '../../src/adapters/bus/embedded-bus';
import { EmbeddedStore } from '../../src/adapters/store/embedded-store';
import { startAdvisorRuntime } from '../../src/advisor/app/advisor-runtime';
import type { LiveEvent } from '../../src/advisor/outputs/live-events';
import { ResultSinks, type ResultSink } from '../../src/advisor/outputs/result-sink';
import { codecs, TOPICS, type NodeAnalysis } from '../../src/telemetry';
import { tinyInventory, tinySample } from '../support/tiny-node';
import { waitFor } from '../support/wait';

describe('result sinks', () => {
  it('every sink hears every result; one that throws or rejects is logged and holds no other up', async () => {
    const heard: string[] = [];
    const logged: string[] = [];
    const sinks = new ResultSinks(
      [
        {
          plan: () => {
            throw new Error('sink down');
          },
        },
        { plan: () => Promise.reject(new Error('cluster away')) },
        {}, // implements nothing
        { plan: (moves) => void heard.push(`plan of ${moves.length}`) },
      ],
      (line) => logged.push(line),
    );
    sinks.plan([]);
    assert.deepEqual(heard, ['plan of 0']);
    await new Promise((r) => setImmediate(r));
    assert.deepEqual(logged, [
      'advisor: a result sink failed on plan: sink down',
      'advisor: a result sink failed on plan: cluster away',
    ]);
  });

  it('in the application, the metrics exporter, the live events and the caller’s sink all receive an analysis', async () => {
    const analyses: NodeAnalysis[] = [];
    const findings: string[] = [];
    const test: ResultSink = {
      findings: (f) => void findings.push(f.node),
      analysis: (a) => void analyses.push(a),
    };
    const bus = new EmbeddedBus();
    const runtime = await startAdvisorRuntime(
      bus,
      new EmbeddedStore({ database: 'spinwise', retentionMs: 86_400_000 }),
      { port: 0, analysisWorkers: 1, sinks: [test] },
    );
    const live: LiveEvent[] = [];
    const unsubscribe = runtime.live.subscribe((e) => live.push(e));
    try {
      const producer = bus.producer();
      await producer.send(TOPICS.inventory, [
        { key: 'n', value: codecs.inventory.encode(tinyInventory('n')) },
      ]);
      const baseMs = Date.now() - 600_000;
      await producer.send(
        TOPICS.samples,
        Array.from({ length: 6 }, (_, seq) => ({
          key: 'n',
          value: codecs.sample.encode(tinySample('n', seq, baseMs)),
        })),
      );
      // Ingested, not only handled: a sample handled before its node's inventory was read waits parked.
      await waitFor('the samples ingested', () => runtime.core.metrics.samplesIngested === 6, 30_000);
      // The samples span two epochs: one window closed as they came in, analyseNow closes the other.
      await runtime.core.analyseNow();
      await waitFor(
        'every window heard',
        () => findings.length === runtime.core.metrics.windowsAnalysed,
        10_000,
      );
      assert.ok(analyses.length >= 1 && analyses.every((a) => a.node === 'n'));
      assert.equal(analyses.length, runtime.core.metrics.windowsAnalysed);
      assert.equal(live.filter((e) => e.type === 'analysis').length, analyses.length);
      const metrics = await (await fetch(`${runtime.url}/metrics`)).text();
      assert.match(metrics, new RegExp(`^spinwise_analysis_duration_seconds_count ${analyses.length}$`, 'm'));
      assert.match(metrics, new RegExp(`^spinwise_finding_delay_seconds_count ${findings.length}$`, 'm'));
    } finally {
      unsubscribe();
      await runtime.stop();
    }
  });
});
