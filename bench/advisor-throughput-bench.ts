import { fork, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { brokersOf, startServices, stopServices } from '../deploy/dev/services';
import { KafkaBus } from '../src/adapters/bus/kafka-bus';
import type { BusProducer } from '../src/adapters/bus/message-bus';
import { AnalysisRunner, type RunnerStats } from '../src/advisor/analysis/analysis-runner';
import { observeWindow, wireAnalysis } from '../src/advisor/domain/analyze-node';
import { windowSample } from '../src/advisor/domain/window-sample';
import { windowMemory } from './window-memory';
import { codecs, defaultTopicSpecs, TOPICS } from '../src/telemetry';
import { diverseFleet, type FleetNode } from './diverse-fleet';
import { printTable } from './table';

/**
 * The fleet: 1,000 nodes of 64 pCPUs, a sample every 10 s from each (100 samples/s),
 * analysed once a minute. SPINWISE_BENCH_NODES and SPINWISE_BENCH_MINUTES shrink a trial run
 * (0 minutes: no live run).
 */
const NODES = Number(process.env.SPINWISE_BENCH_NODES ?? 1_000);
const MINUTES = Number(process.env.SPINWISE_BENCH_MINUTES ?? 6);
const SAMPLE_EVERY_MS = 10_000;
const EPOCH_MS = 60_000;
/** Simulated intervals recorded per pool, cycling as the node's samples (7: windows of 6 differ). */
const SIM_INTERVAL_MS = 100;
const SIM_INTERVALS = 7;
/**
 * The cold start — every node's first model, from nothing — is timed on its own and not mixed into
 * the steady figures: those are measured for MINUTES once every node has a prediction (at least a
 * minute in; at most this long, then measured as it stands).
 */
const COLD_START_CAP_MS = Number(process.env.SPINWISE_BENCH_COLD_CAP_MINUTES ?? 40) * 60_000;
/** Which live runs: one replica, two, or both (SPINWISE_BENCH_REPLICAS=1,2). */
const REPLICA_RUNS = (process.env.SPINWISE_BENCH_REPLICAS ?? '1,2').split(',').map(Number);

const percentile = (xs: number[], p: number) => {
  const s = [...xs].sort((a, b) => a - b);
  return s.length ? s[Math.min(s.length - 1, Math.floor((p / 100) * s.length))]! : NaN;
};
/** Samples per analysis window: the advisor's rolling 5 minutes of 10 s samples. */
const WINDOW_SAMPLES = 300_000 / SAMPLE_EVERY_MS;
/** Minutes of the fleet replayed offline through the advisor's model side. */
const OFFLINE_MINUTES = 8;
/**
 * Nodes replayed offline (the first of the fleet; default 200, about 11 minutes here): figures per
 * 1,000 nodes from them are on the high side, as a larger fleet has more alike nodes to share with.
 */
const OFFLINE_NODES = Number(process.env.SPINWISE_BENCH_OFFLINE_NODES ?? Math.min(NODES, 200));

/** The window a node's analysis of minute `w` covers: its rolling 5 minutes, as the advisor keeps them. */
const samplesOf = (node: FleetNode, w: number) => {
  const last = (w + 1) * (EPOCH_MS / SAMPLE_EVERY_MS) - 1;
  return Array.from({ length: Math.min(WINDOW_SAMPLES, last + 1) }, (_, i) => {
    const seq = last - Math.min(WINDOW_SAMPLES, last + 1) + 1 + i;
    return node.sample(seq, (seq + 1) * SAMPLE_EVERY_MS);
  });
};

/**
 * One minute of the fleet through `runner`: the CPU it took, and each node's analysis. The nodes'
 * samples are made before the clock starts: they stand for the agents' telemetry, and making them
 * here (about 0.7 ms a sample of a 64-pCPU node) would be counted as the advisor's work.
 */
async function fleetMinute(runner: AnalysisRunner, nodes: FleetNode[], w: number) {
  const sent = nodes.map((node) => samplesOf(node, w));
  const cpu = process.cpuUsage();
  const results = await Promise.all(
    nodes.map(async (node, i) => {
      const samples = sent[i]!.map(windowSample);
      const observed = observeWindow(node.inventory, samples);
      const window = { inventory: node.inventory, samples, observed, closedAtWallMs: Date.now() };
      return (await runner.run(window, { urgent: () => false, started: () => undefined })).result;
    }),
  );
  const used = process.cpuUsage(cpu);
  return { stats: runner.stats(), cpuS: (used.user + used.system) / 1e6, results };
}

/**
 * Without a broker: the fleet's windows, minute by minute, through the advisor's own model side
 * (`AnalysisRunner`, one worker) — how many windows kept their node's model, found their
 * fingerprint cached, or were fitted, how many fits found their what-ifs replayed before, what a
 * fit and a replay of a 64-pCPU node cost, and the model CPU per minute that implies per 1,000
 * nodes. The first minute (every model cold) is reported on its own. Then the minute after a
 * restart, side by side: a new runner from nothing, and one that takes each node's model over
 * from its last published analysis (as a replica does from the analyses topic).
 */
async function offline(nodes: FleetNode[]): Promise<(string | number)[][]> {
  const runner = new AnalysisRunner(1);
  runner.start();
  const minutes: Awaited<ReturnType<typeof fleetMinute>>[] = [];
  let continued;
  try {
    for (let w = 0; w < OFFLINE_MINUTES; w++) minutes.push(await fleetMinute(runner, nodes, w));
    // The same next minute without a restart, to compare the restarts with.
    continued = await fleetMinute(runner, nodes, OFFLINE_MINUTES);
  } finally {
    await runner.close();
  }
  const published = new Map(
    minutes[minutes.length - 1]!.results.map((r) => [
      r.node,
      codecs.analysis.decode(codecs.analysis.encode(wireAnalysis(r))),
    ]),
  );
  const restart = async (takeOver: boolean) => {
    const fresh = new AnalysisRunner(1);
    if (takeOver) fresh.takeOverFrom((node) => published.get(node));
    fresh.start();
    try {
      return await fleetMinute(fresh, nodes, OFFLINE_MINUTES);
    } finally {
      await fresh.close();
    }
  };
  const row = (label: string, from: RunnerStats | null, to: RunnerStats, cpuS: number, n: number) => {
    const delta = (k: Exclude<keyof RunnerStats, 'size'>) => to[k] - (from?.[k] ?? 0);
    return [
      label,
      delta('reused') / n,
      delta('takenOver') / n,
      delta('hits') / n,
      delta('nearHits') / n,
      delta('misses') / n,
      delta('predictionsKept') / n,
      delta('predictionHits') / n,
      delta('predictionsNear') / n,
      delta('predictionMisses') / n,
      delta('fitMs') / Math.max(1, delta('misses')) / 1000,
      delta('predictMs') / Math.max(1, delta('predictionMisses')) / 1000,
      cpuS / n,
      (cpuS / n / 60) * (1000 / nodes.length),
    ];
  };
  const later = minutes.slice(1);
  const cold = await restart(false);
  const takingOver = await restart(true);
  return [
    row('minute 1 (every model cold)', null, minutes[0]!.stats, minutes[0]!.cpuS, 1),
    row(
      `minutes 2–${OFFLINE_MINUTES}, per minute`,
      minutes[0]!.stats,
      minutes[minutes.length - 1]!.stats,
      later.reduce((a, m) => a + m.cpuS, 0),
      later.length,
    ),
    row(
      `minute ${OFFLINE_MINUTES + 1}, no restart`,
      minutes[minutes.length - 1]!.stats,
      continued.stats,
      continued.cpuS,
      1,
    ),
    row(`minute ${OFFLINE_MINUTES + 1}, restarted from nothing`, null, cold.stats, cold.cpuS, 1),
    row(
      `minute ${OFFLINE_MINUTES + 1}, restarted taking models over`,
      null,
      takingOver.stats,
      takingOver.cpuS,
      1,
    ),
  ];
}

interface Report {
  type: string;
  node: string;
  windowEndMs: number;
  lastSeq: number;
  delayMs: number;
  atMs: number;
  closedAtMs: number;
  queue: number;
  partitions: number;
  cpuS: number;
  coalesced: number;
  cache: RunnerStats;
}

async function startReplicas(
  names: string[],
  brokers: string,
  onReport: (replica: string, r: Report) => void,
): Promise<Map<string, ChildProcess>> {
  const children = new Map(
    names.map((name) => [
      name,
      fork(join(__dirname, 'advisor-replica.js'), {
        // The windows of 1,000 64-pCPU nodes take about 0.3 GB (see README); the rest is headroom.
        execArgv: ['--max-old-space-size=4096'],
        env: {
          ...process.env,
          BROKERS: brokers,
          GROUP: 'bench-live',
          EPOCH_MS: String(EPOCH_MS),
          WORKERS: '1',
          REPLICA: name,
          SPREAD_EPOCHS: '1',
          FLEET_VIEW: '1',
        },
      }),
    ]),
  );
  await Promise.all(
    [...children].map(
      ([name, c]) =>
        new Promise<void>((resolve) =>
          c.on('message', (m: Report) => (m.type === 'ready' ? resolve() : onReport(name, m))),
        ),
    ),
  );
  return children;
}

const stopReplica = (c: ChildProcess) =>
  new Promise<void>((resolve) => (c.once('exit', () => resolve()), c.send({ type: 'stop' })));

/** A fresh Kafka holding the topics and the fleet's inventories, for one run. */
async function withFleetBroker<T>(
  nodes: FleetNode[],
  run: (brokers: string, producer: BusProducer) => Promise<T>,
): Promise<T> {
  const dir = mkdtempSync(join(tmpdir(), 'spinwise-advisor-bench-'));
  const stateFile = join(dir, 'services.json');
  try {
    const brokers = brokersOf(await startServices(stateFile));
    const bus = new KafkaBus({ brokers: [brokers] });
    try {
      await bus.ensureTopics(defaultTopicSpecs());
      const producer = bus.producer();
      await producer.send(
        TOPICS.inventory,
        nodes.map((n) => ({ key: n.inventory.node, value: codecs.inventory.encode(n.inventory) })),
      );
      return await run(brokers, producer);
    } finally {
      await bus.close();
    }
  } finally {
    await stopServices(stateFile);
    rmSync(dir, { recursive: true, force: true });
  }
}

/**
 * The fleet live on a real broker at its real rate: each node sends a sample every 10 s (nodes
 * spread over the 10 s), stamped with the wall clock, so a window closes when a node's first
 * sample of the next minute arrives. Findings and predictions are timed from the sending of that
 * closing sample to their publication. With two replicas, one is stopped at the end and the time
 * until the other publishes findings for its nodes is the handover.
 */
async function live(nodes: FleetNode[], replicas: string[]): Promise<(string | number)[][]> {
  return withFleetBroker(nodes, async (brokers, producer) => {
    const sentAt = new Map<string, number>();
    const key = (node: string, seq: number) => `${node}#${seq}`;
    const seqAt = new Map<string, number>();
    /** Per replica, what was measured after the warm-up. */
    const seen = new Map(
      replicas.map((r) => [
        r,
        {
          findingDelays: [] as number[],
          /** Per measured minute, its predictions' delays: a backlog left by the cold start shows in the first. */
          predictionDelays: Array.from({ length: MINUTES }, () => [] as number[]),
          gaps: [] as number[],
          queues: [] as number[],
        },
      ]),
    );
    const lastPrediction = new Map<string, number>();
    const stats = new Map<string, Report>();
    const firstStats = new Map<string, Report>();
    const owner = new Map<string, string>();
    let measuring = false;
    let measureFrom = NaN;
    let lastFirstPredictionAt = NaN;
    let handoverFrom: { at: number; nodes: Set<string>; unpredicted: Set<string> } | null = null;
    let handoverMs = NaN;
    let handoverPredictedMs = NaN;
    const children = await startReplicas(replicas, brokers, (replica, r) => {
      if (r.type === 'stats') {
        stats.set(replica, r);
        if (measuring) seen.get(replica)!.queues.push(r.queue);
        return;
      }
      const seq = seqAt.get(key(r.node, r.type === 'findings' ? r.windowEndMs : r.lastSeq));
      const closing = r.type === 'findings' ? (seq === undefined ? undefined : seq + 1) : r.lastSeq + 1;
      const at = closing === undefined ? undefined : sentAt.get(key(r.node, closing));
      if (r.type === 'findings') {
        owner.set(r.node, replica);
        if (handoverFrom?.nodes.has(r.node)) {
          handoverFrom.nodes.delete(r.node);
          if (handoverFrom.nodes.size === 0) handoverMs = Date.now() - handoverFrom.at;
        }
        if (measuring && at !== undefined) seen.get(replica)!.findingDelays.push(r.atMs - at);
      } else if (r.type === 'analysis') {
        if (handoverFrom?.unpredicted.delete(r.node) && handoverFrom.unpredicted.size === 0)
          handoverPredictedMs = Date.now() - handoverFrom.at;
        if (measuring && at !== undefined) {
          const minute = Math.floor((r.atMs - measureFrom) / 60_000);
          seen.get(replica)!.predictionDelays[Math.max(0, Math.min(MINUTES - 1, minute))]!.push(r.atMs - at);
        }
        const prev = lastPrediction.get(r.node);
        if (measuring && prev !== undefined) seen.get(replica)!.gaps.push(r.atMs - prev);
        lastPrediction.set(r.node, r.atMs);
        if (prev === undefined) lastFirstPredictionAt = r.atMs;
      }
    });
    const started = Date.now();
    const perTick = Math.ceil(nodes.length / 10);
    let tick = 0;
    /** One second of the fleet: a tenth of the nodes send their next sample. */
    const second = async () => {
      const tickStart = Date.now();
      const seq = Math.floor(tick / 10);
      const slot = tick++ % 10;
      const batch = nodes.slice(slot * perTick, (slot + 1) * perTick).map((n) => {
        const s = n.sample(seq, tickStart);
        sentAt.set(key(s.node, seq), tickStart);
        seqAt.set(key(s.node, s.timestampMs), seq);
        return { key: s.node, value: codecs.sample.encode(s) };
      });
      await producer.send(TOPICS.samples, batch);
      await new Promise((r) => setTimeout(r, Math.max(0, 1_000 - (Date.now() - tickStart))));
    };
    for (;;) {
      const now = Date.now();
      const warm = lastPrediction.size === nodes.length || now - started >= COLD_START_CAP_MS;
      if (!measuring && now - started >= 60_000 && warm) {
        measuring = true;
        measureFrom = now;
        for (const [r, s] of stats) firstStats.set(r, s);
      }
      if (measuring && now >= measureFrom + MINUTES * 60_000) break;
      await second();
    }
    measuring = false;
    const seconds = (Date.now() - measureFrom) / 1000;
    const coldStart =
      lastPrediction.size === nodes.length && lastFirstPredictionAt - started <= COLD_START_CAP_MS
        ? (lastFirstPredictionAt - started) / 1000
        : `> ${COLD_START_CAP_MS / 1000}`;
    const endStats = new Map(stats);
    const nowMs = Date.now();
    const ages = nodes.map((n) => nowMs - (lastPrediction.get(n.inventory.node) ?? started));
    const never = nodes.filter((n) => !lastPrediction.has(n.inventory.node)).length;
    const rows: (string | number)[][] = [];
    for (const r of replicas) {
      const a = firstStats.get(r);
      const b = endStats.get(r)!;
      const m = seen.get(r)!;
      rows.push([
        `${replicas.length} replica${replicas.length > 1 ? 's' : ''}: ${r}`,
        coldStart,
        b.partitions,
        [...owner.values()].filter((o) => o === r).length,
        a ? (b.cpuS - a.cpuS) / seconds : NaN,
        percentile(m.findingDelays, 50),
        percentile(m.findingDelays, 99),
        percentile(m.predictionDelays.flat(), 50),
        percentile(m.predictionDelays.flat(), 99),
        m.predictionDelays.map((d) => (percentile(d, 99) / 1000).toFixed(1)).join(' / '),
        percentile(m.gaps, 99),
        percentile(ages, 100),
        never,
        Math.min(...m.queues),
        Math.max(...m.queues),
        b.coalesced,
        (b.cache.reused + b.cache.hits) / Math.max(1, b.cache.reused + b.cache.hits + b.cache.misses),
        b.cache.answeredWaiting,
      ]);
    }
    if (replicas.length > 1) {
      // One replica stopped: how long until the other publishes findings for every node it had.
      const [gone, ...rest] = replicas;
      const theirs = new Set(nodes.map((n) => n.inventory.node).filter((n) => owner.get(n) === gone));
      const handedOver = theirs.size;
      const takenBefore = stats.get(rest[0]!)!.cache.takenOver;
      handoverFrom = { at: Date.now(), nodes: theirs, unpredicted: new Set(theirs) };
      await stopReplica(children.get(gone!)!);
      children.delete(gone!);
      const deadline = Date.now() + 3 * EPOCH_MS;
      while (handoverFrom.unpredicted.size > 0 && Date.now() < deadline) await second();
      const after = (ms: number) => (Number.isNaN(ms) ? `> ${(3 * EPOCH_MS) / 1000}` : ms / 1000);
      const takenOver = stats.get(rest[0]!)!.cache.takenOver - takenBefore;
      const blank = Array.from({ length: 16 }, () => '');
      rows.push(
        [
          `handover: ${gone} stopped; ${rest.join()} published findings for all its ${handedOver} nodes after (s)`,
          after(handoverMs),
          ...blank,
        ],
        [
          `handover: ${rest.join()} published predictions for all of them after (s), ${takenOver} models taken over`,
          after(handoverPredictedMs),
          ...blank,
        ],
      );
    }
    await Promise.all([...children.values()].map(stopReplica));
    return rows;
  });
}

/** The advisor on a diverse fleet: model-cache and sizing figures, then live delays with one and two replicas. */
export async function advisorThroughputBench(): Promise<void> {
  const fleet = await diverseFleet(NODES, {
    intervalMs: SIM_INTERVAL_MS,
    intervals: SIM_INTERVALS,
    sampleEveryMs: SAMPLE_EVERY_MS,
  });
  // SPINWISE_BENCH_OFFLINE_NODES=0: the live runs only.
  if (OFFLINE_NODES > 0) {
    printTable(
      `advisor memory per owned node: its full 5-minute window, ${OFFLINE_NODES.toLocaleString('en-US')} nodes of the fleet, heap after a GC`,
      [
        'window held as',
        'nodes',
        'vCPUs per node (mean)',
        'samples per window',
        'MB per node',
        'GB per 1,000 nodes',
      ],
      windowMemory(fleet.nodes.slice(0, OFFLINE_NODES).map((node) => samplesOf(node, OFFLINE_MINUTES))),
    );
    printTable(
      `advisor models on a diverse fleet, offline: ${OFFLINE_NODES.toLocaleString('en-US')} nodes of 64 pCPUs from ${fleet.pools} pools, ${fleet.kernels} kernels, per-node load × 0.6–1.6 drifting ±20 % an hour; each node's rolling 5-minute window analysed once a minute for ${OFFLINE_MINUTES} minutes through the advisor's model side (one worker), then the minute after a restart without and with the models taken over from the analyses`,
      [
        'minutes',
        "windows on their node's own model",
        'models taken over',
        "windows on an alike node's model",
        'of which in another bin',
        'fits',
        "fits keeping their node's what-ifs",
        'fits on cached what-ifs',
        'of which on another bin',
        'what-if replays',
        'CPU-s per fit',
        'CPU-s per replay',
        'CPU-s per minute',
        'cores per 1,000 nodes',
      ],
      await offline(fleet.nodes.slice(0, OFFLINE_NODES)),
    );
  }
  const header = [
    'run',
    'every node first predicted after (s)',
    'partitions',
    'nodes',
    'CPU-s per s',
    'findings ms p50',
    'findings ms p99',
    'prediction ms p50',
    'prediction ms p99',
    'prediction s p99, minute by minute',
    'refresh gap ms p99',
    'oldest prediction ms',
    'never predicted',
    'queue min',
    'queue max',
    'windows coalesced',
    'windows without a fit',
    'windows answered while waiting',
  ];
  if (MINUTES === 0) return; // SPINWISE_BENCH_MINUTES=0: the offline figures only
  const rows = [
    ...(REPLICA_RUNS.includes(1) ? await live(fleet.nodes, ['r1']) : []),
    ...(REPLICA_RUNS.includes(2) ? await live(fleet.nodes, ['r2a', 'r2b']) : []),
  ];
  printTable(
    `advisor live on a real broker: ${NODES.toLocaleString('en-US')} nodes × a sample every 10 s (${NODES / 10} samples/s), each node's rolling 5-minute window analysed once a minute (minutes offset per node); measured for ${MINUTES} min once every node has its first prediction (the cold start, timed on its own); one model worker per replica; delays from the sending of a window's closing sample`,
    header,
    rows,
  );
}
