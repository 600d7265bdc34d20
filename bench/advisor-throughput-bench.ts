import { fork, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { brokersOf, startServices, stopServices } from '../deploy/dev/services';
import { KafkaBus } from '../src/adapters/bus/kafka-bus';
import type { BusProducer } from '../src/adapters/bus/message-bus';
import { modelNode, prepareAnalysis } from '../src/advisor/domain/analyze-node';
import { codecs, defaultTopicSpecs, TOPICS } from '../src/telemetry';
import { diverseFleet, type FleetNode } from './diverse-fleet';
import { printTable } from './table';

/**
 * The fleet: 1,000 nodes of 64 pCPUs, a sample every 10 s from each (100 samples/s),
 * analysed once a minute. SPINWISE_BENCH_NODES and SPINWISE_BENCH_MINUTES shrink a trial run.
 */
const NODES = Number(process.env.SPINWISE_BENCH_NODES ?? 1_000);
const MINUTES = Number(process.env.SPINWISE_BENCH_MINUTES ?? 6);
const SAMPLE_EVERY_MS = 10_000;
const EPOCH_MS = 60_000;
/** Simulated intervals recorded per pool, cycling as the node's samples (7: windows of 6 differ). */
const SIM_INTERVAL_MS = 100;
const SIM_INTERVALS = 7;
/** The first minute's cold model cache is reported on its own, not mixed into the steady figures. */
const WARMUP_MS = 60_000;

const percentile = (xs: number[], p: number) => {
  const s = [...xs].sort((a, b) => a - b);
  return s.length ? s[Math.min(s.length - 1, Math.floor((p / 100) * s.length))]! : NaN;
};
const windowOf = (node: FleetNode, w: number) =>
  Array.from({ length: EPOCH_MS / SAMPLE_EVERY_MS }, (_, i) => {
    const seq = w * (EPOCH_MS / SAMPLE_EVERY_MS) + i;
    return node.sample(seq, (seq + 1) * SAMPLE_EVERY_MS);
  });

/**
 * Without a broker: how alike the fleet's windows are to the model cache (distinct fingerprints
 * in the first window; hits from then on, with the advisor's 1,024-entry LRU), what one cache-miss
 * analysis of a 64-pCPU node costs in CPU-seconds, and the cores that implies per 1,000 nodes.
 */
function offline(nodes: FleetNode[]): (string | number)[][] {
  const cache = new Map<string, true>();
  const CAPACITY = 1024;
  let hits = 0;
  let lookups = 0;
  let firstDistinct = 0;
  const requests = new Map<string, ReturnType<typeof prepareAnalysis>['request']>();
  for (let w = 0; w < 6; w++)
    for (const node of nodes) {
      const { request } = prepareAnalysis(node.inventory, windowOf(node, w));
      if (w === 0 && !requests.has(request.key)) requests.set(request.key, request);
      const hit = cache.delete(request.key);
      cache.set(request.key, true);
      if (cache.size > CAPACITY) cache.delete(cache.keys().next().value!);
      if (w === 0) firstDistinct += hit ? 0 : 1;
      else {
        lookups++;
        if (hit) hits++;
      }
    }
  // CPU time of fits, measured on distinct nodes (each its own fingerprint), one after the other.
  const sample = [...requests.values()]
    .filter((_, i) => i % Math.max(1, Math.floor(requests.size / 8)) === 0)
    .slice(0, 8);
  const cpuSeconds = sample.map((req) => {
    const before = process.cpuUsage();
    modelNode(req);
    const used = process.cpuUsage(before);
    return (used.user + used.system) / 1e6;
  });
  const hitRatio = hits / lookups;
  const perMiss = cpuSeconds.reduce((a, b) => a + b, 0) / cpuSeconds.length;
  const missesPerMinute = nodes.length * (1 - hitRatio);
  return [
    [
      `${nodes.length.toLocaleString('en-US')} nodes`,
      firstDistinct,
      hitRatio,
      perMiss,
      percentile(cpuSeconds, 100),
      missesPerMinute,
      (missesPerMinute * perMiss) / 60 / (nodes.length / 1000),
    ],
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
  cache: { hits: number; misses: number };
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
        env: {
          ...process.env,
          BROKERS: brokers,
          GROUP: 'bench-live',
          EPOCH_MS: String(EPOCH_MS),
          WORKERS: '1',
          REPLICA: name,
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
          predictionDelays: [] as number[],
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
    let handoverFrom: { at: number; nodes: Set<string> } | null = null;
    let handoverMs = NaN;
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
        if (measuring && at !== undefined) seen.get(replica)!.predictionDelays.push(r.atMs - at);
        const prev = lastPrediction.get(r.node);
        if (measuring && prev !== undefined) seen.get(replica)!.gaps.push(r.atMs - prev);
        lastPrediction.set(r.node, r.atMs);
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
    while (Date.now() < started + MINUTES * 60_000) {
      if (!measuring && Date.now() - started >= WARMUP_MS) {
        measuring = true;
        for (const [r, s] of stats) firstStats.set(r, s);
      }
      await second();
    }
    measuring = false;
    const seconds = (Date.now() - started - WARMUP_MS) / 1000;
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
        b.partitions,
        [...owner.values()].filter((o) => o === r).length,
        a ? (b.cpuS - a.cpuS) / seconds : NaN,
        percentile(m.findingDelays, 50),
        percentile(m.findingDelays, 99),
        percentile(m.predictionDelays, 50),
        percentile(m.predictionDelays, 99),
        percentile(m.gaps, 99),
        percentile(ages, 100),
        never,
        Math.min(...m.queues),
        Math.max(...m.queues),
        b.coalesced,
        b.cache.hits / Math.max(1, b.cache.hits + b.cache.misses),
      ]);
    }
    if (replicas.length > 1) {
      // One replica stopped: how long until the other publishes findings for every node it had.
      const [gone, ...rest] = replicas;
      const theirs = new Set(nodes.map((n) => n.inventory.node).filter((n) => owner.get(n) === gone));
      const handedOver = theirs.size;
      handoverFrom = { at: Date.now(), nodes: theirs };
      await stopReplica(children.get(gone!)!);
      children.delete(gone!);
      const deadline = Date.now() + 3 * EPOCH_MS;
      while (handoverFrom.nodes.size > 0 && Date.now() < deadline) await second();
      rows.push([
        `handover: ${gone} stopped; ${rest.join()} published findings for all its ${handedOver} nodes after (s)`,
        Number.isNaN(handoverMs) ? `> ${(3 * EPOCH_MS) / 1000}` : handoverMs / 1000,
        ...Array.from({ length: 13 }, () => ''),
      ]);
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
  printTable(
    `advisor models on a diverse fleet: ${NODES.toLocaleString('en-US')} nodes of 64 pCPUs from ${fleet.pools} pools, ${fleet.kernels} kernels, per-node load × 0.6–1.6; six one-minute windows each`,
    [
      'fleet',
      'distinct models (1st window)',
      'cache hit ratio (windows 2–6)',
      'CPU-s per miss',
      'CPU-s per miss, max',
      'misses per minute',
      'cores per 1,000 nodes',
    ],
    offline(fleet.nodes),
  );
  const header = [
    'run',
    'partitions',
    'nodes',
    'CPU-s per s',
    'findings ms p50',
    'findings ms p99',
    'prediction ms p50',
    'prediction ms p99',
    'refresh gap ms p99',
    'oldest prediction ms',
    'never predicted',
    'queue min',
    'queue max',
    'windows coalesced',
    'cache hit ratio',
  ];
  const rows = [...(await live(fleet.nodes, ['r1'])), ...(await live(fleet.nodes, ['r2a', 'r2b']))];
  printTable(
    `advisor live on a real broker: ${NODES.toLocaleString('en-US')} nodes × a sample every 10 s (${NODES / 10} samples/s), one-minute windows, ${MINUTES} min (the first minute, a cold model cache, not counted); one model worker per replica; delays from the sending of a window's closing sample`,
    header,
    rows,
  );
}
