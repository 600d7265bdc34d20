import { KafkaBus } from '../src/adapters/bus/kafka-bus';
import type { Point, TimeSeriesStore } from '../src/adapters/store/time-series-store';
import { AdvisorCore } from '../src/advisor/ingest/advisor-core';
import { FleetView } from '../src/advisor/fleet/fleet-view';

/**
 * One advisor replica in a process of its own, for the throughput benchmark: reports each window's
 * findings and analysis to its parent, and every second its queue, partitions and CPU time (the
 * process's, its model workers' included); stops when told. Environment: BROKERS, GROUP, EPOCH_MS,
 * WORKERS, REPORT_IN_FLIGHT, REPLICA, SPREAD_EPOCHS, FLEET_VIEW.
 */
/**
 * The store is not what is measured here (the bus-store bench measures it), and in a cluster it is
 * InfluxDB on other machines: points are built, batched and handed over as always, then counted
 * and dropped. An embedded store, even at its shortest retention (an hour), held 15,000 points a
 * second of a 1,000-node fleet and ran the replica out of heap within ten minutes.
 */
class DiscardingStore implements TimeSeriesStore {
  readonly kind = 'embedded';
  written = 0;
  open = () => Promise.resolve();
  write = (points: Point[]) => (
    (this.written += points.length),
    Promise.resolve({ written: points.length, droppedBeyondRetention: 0 })
  );
  query = () => Promise.resolve([]);
  close = () => Promise.resolve();
}

async function main(): Promise<void> {
  const env = process.env;
  const bus = new KafkaBus({ brokers: [env.BROKERS!], clientId: 'bench-replica' });
  const core = new AdvisorCore(
    bus,
    new DiscardingStore(),
    {
      groupId: env.GROUP!,
      analysisIntervalMs: Number(env.EPOCH_MS),
      // The benchmark runs it as `spinwise advisor` does, each node's minute at its own offset;
      // the reliability suite counts windows at the minute's turn.
      spreadEpochs: env.SPREAD_EPOCHS === '1',
      idleMs: 10 * 60_000,
      analysisWorkers: Number(env.WORKERS ?? 1),
      replica: env.REPLICA,
    },
    [
      {
        findings: (f, delayMs) =>
          void process.send!({
            type: 'findings',
            node: f.node,
            windowEndMs: f.windowEndMs,
            delayMs,
            atMs: Date.now(),
          }),
        analysis: (a, cost) =>
          void process.send!({
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
    ],
  );
  await core.start();
  // As `spinwise advisor` runs: every node's newest analysis followed, and a node taken over
  // (the other replica stopped) starts from its previous owner's model.
  const fleet = env.FLEET_VIEW === '1' ? new FleetView(bus, core) : null;
  if (fleet) {
    core.runner.takeOverFrom((node) => fleet.newestAnalysis(node));
    await fleet.start();
  }
  process.send!({ type: 'ready' });
  setInterval(() => {
    const cpu = process.cpuUsage();
    process.send!({
      type: 'stats',
      queue: core.analysisQueue,
      partitions: core.ownedPartitions().length,
      cpuS: (cpu.user + cpu.system) / 1e6,
      coalesced: core.metrics.windowsCoalesced,
      cache: core.runner.stats(),
    });
  }, 1_000).unref();
  // For the reliability tests: say when a window is being modelled (a moment to SIGKILL it in).
  if (env.REPORT_IN_FLIGHT)
    setInterval(() => {
      if (core.metrics.analysesInFlight > 0) process.send!({ type: 'in-flight' });
    }, 10).unref();
  process.on('message', (m: { type: string }) => {
    if (m.type !== 'stop') return;
    void (async () => {
      await core.stop();
      await fleet?.stop();
      await bus.close();
      process.send!({ type: 'stopped', samples: core.metrics.samplesIngested });
      process.exit(0);
    })();
  });
}

void main();
