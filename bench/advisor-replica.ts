import { KafkaBus } from '../src/adapters/bus/kafka-bus';
import { EmbeddedStore } from '../src/adapters/store/embedded-store';
import { AdvisorCore } from '../src/advisor/advisor-core';

/**
 * One advisor replica in a process of its own, for the throughput benchmark: reports each analysis
 * to its parent and stops when told. Environment: BROKERS, GROUP, EPOCH_MS, WORKERS, REPORT_IN_FLIGHT.
 */
async function main(): Promise<void> {
  const env = process.env;
  const bus = new KafkaBus({ brokers: [env.BROKERS!], clientId: 'bench-replica' });
  const core = new AdvisorCore(
    bus,
    new EmbeddedStore({ database: 'bench', retentionMs: 365 * 24 * 3_600_000 }),
    {
      groupId: env.GROUP!,
      analysisIntervalMs: Number(env.EPOCH_MS),
      idleMs: 10 * 60_000,
      analysisWorkers: Number(env.WORKERS ?? 1),
      onAnalysis: (a, cost) =>
        process.send!({
          type: 'analysis',
          node: a.node,
          lastSeq: a.lastSeq,
          ms: cost.ms,
          cached: cost.cached,
          closedAtMs: cost.closedAtWallMs,
          atMs: Date.now(),
          freshSeqs: cost.freshSeqs,
        }),
    },
  );
  await core.start();
  process.send!({ type: 'ready' });
  // For the reliability tests: say when a window is being modelled (a moment to SIGKILL it in).
  if (env.REPORT_IN_FLIGHT)
    setInterval(() => {
      if (core.metrics.analysesInFlight > 0) process.send!({ type: 'in-flight' });
    }, 10).unref();
  process.on('message', (m: { type: string }) => {
    if (m.type !== 'stop') return;
    void (async () => {
      await core.stop();
      await bus.close();
      process.send!({ type: 'stopped', samples: core.metrics.samplesIngested });
      process.exit(0);
    })();
  });
}

void main();
