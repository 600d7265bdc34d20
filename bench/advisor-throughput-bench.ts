import { fork, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { brokersOf, startServices, stopServices } from '../deploy/dev/services';
import { KafkaBus } from '../src/adapters/bus/kafka-bus';
import type { BusProducer } from '../src/adapters/bus/message-bus';
import { cloneAs, recordSimulatedNode, type RecordedNode } from '../src/agent/simulated-node/record-node';
import { parseScenario, type ScenarioInput } from '../src/sim/scenario';
import { codecs, defaultTopicSpecs, TOPICS, type NodeSample } from '../src/telemetry';
import { printTable } from './table';

/** The fleet: 1,000 nodes of 64 pCPUs, each sampled every 10 s and analysed once a minute. */
const NODES = 1_000;
const TARGET_SAMPLES_PER_S = NODES / 10;
const TARGET_ANALYSES_PER_S = NODES / 60;
/** The templates are recorded with short simulated intervals; an epoch is six of them, as a minute is six 10 s samples. */
const INTERVAL_MS = 100;
const EPOCH_MS = 6 * INTERVAL_MS;

/** Four kinds of 64-pCPU node: different VM mixes, loads and kernels. */
const TEMPLATES: ScenarioInput[] = [
  {
    vms: [
      {
        name: 'db',
        count: 8,
        vcpus: 16,
        workload: { busy: 0.7, locks: { perSecond: 3000 }, ipis: { perSecond: 300, targets: 2 } },
      },
    ],
    kernel: '5.15.0-91-generic',
  },
  {
    vms: [
      {
        name: 'web',
        count: 32,
        vcpus: 4,
        workload: { busy: 0.5, locks: { perSecond: 1000 }, ipis: { perSecond: 100 } },
      },
    ],
    kernel: '6.8.0-45-generic',
  },
  {
    vms: [
      {
        name: 'batch',
        count: 4,
        vcpus: 32,
        workload: { busy: 0.9, locks: { perSecond: 6000 }, ipis: { perSecond: 500, targets: 3 } },
      },
    ],
    kernel: '5.6.0',
  },
  {
    vms: [
      {
        name: 'mixed',
        count: 12,
        vcpus: 8,
        workload: { busy: 0.6, locks: { perSecond: 2000 }, ipis: { perSecond: 200, targets: 2 } },
      },
    ],
    kernel: '6.14.0',
  },
].map((t) => ({
  host: { pcpus: 64, kernel: t.kernel as string },
  vms: t.vms as ScenarioInput['vms'],
  duration: '1s',
}));

/** Node i's sample `seq`: its template's, with PLE exits scaled by ±10 % per node (alike nodes differ a little). */
function fleetSample(templates: RecordedNode[], i: number, seq: number, timestampMs: number): NodeSample {
  const s = cloneAs(templates[i % templates.length]!, `node-${i}`).sample(seq, timestampMs);
  const factor = 0.9 + ((i * 7919) % 201) / 1000;
  return {
    ...s,
    vcpus: s.vcpus.map((v) =>
      v.pleExits === undefined ? v : { ...v, pleExits: Math.round(v.pleExits * factor) },
    ),
  };
}

interface ReplicaReport {
  node: string;
  lastSeq: number;
  ms: number;
  cached: boolean;
  closedAtMs: number;
  atMs: number;
}

async function startReplicas(
  count: number,
  brokers: string,
  group: string,
  onAnalysis: (r: ReplicaReport) => void,
): Promise<ChildProcess[]> {
  const children = Array.from({ length: count }, () =>
    fork(join(__dirname, 'advisor-replica.js'), {
      env: { ...process.env, BROKERS: brokers, GROUP: group, EPOCH_MS: String(EPOCH_MS), WORKERS: '1' },
    }),
  );
  await Promise.all(
    children.map(
      (c) =>
        new Promise<void>((resolve) =>
          c.on('message', (m: { type: string } & ReplicaReport) => {
            if (m.type === 'ready') resolve();
            if (m.type === 'analysis') onAnalysis(m);
          }),
        ),
    ),
  );
  return children;
}

const stopReplicas = (children: ChildProcess[]) =>
  Promise.all(
    children.map(
      (c) => new Promise<void>((resolve) => (c.once('exit', () => resolve()), c.send({ type: 'stop' }))),
    ),
  );

const percentile = (xs: number[], p: number) => {
  const s = [...xs].sort((a, b) => a - b);
  return s.length ? s[Math.min(s.length - 1, Math.floor((p / 100) * s.length))]! : NaN;
};

/** A fresh Kafka (with InfluxDB) holding the topics and the fleet's inventories, for one run. */
async function withFleetBroker<T>(
  templates: RecordedNode[],
  nodes: number,
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
      await sendInventories(producer, templates, nodes);
      return await run(brokers, producer);
    } finally {
      await bus.close();
    }
  } finally {
    await stopServices(stateFile);
    rmSync(dir, { recursive: true, force: true });
  }
}

function sendInventories(producer: BusProducer, templates: RecordedNode[], nodes: number): Promise<void> {
  return producer.send(
    TOPICS.inventory,
    Array.from({ length: nodes }, (_, i) => {
      const inv = cloneAs(templates[i % templates.length]!, `node-${i}`).inventory;
      return { key: inv.node, value: codecs.inventory.encode(inv) };
    }),
  );
}

async function sendFleet(
  producer: BusProducer,
  templates: RecordedNode[],
  nodes: number,
  seqs: number[],
  baseMs: number,
): Promise<void> {
  for (const seq of seqs)
    for (let from = 0; from < nodes; from += 100) {
      const batch = [];
      for (let i = from; i < Math.min(nodes, from + 100); i++) {
        const s = fleetSample(templates, i, seq, baseMs + (seq + 1) * INTERVAL_MS);
        batch.push({ key: s.node, value: codecs.sample.encode(s) });
      }
      await producer.send(TOPICS.samples, batch);
    }
}

/**
 * A fresh broker with a backlog of the whole fleet's samples (seven per node: an epoch and the
 * sample that closes it), then `replicas` advisor processes drain it: the rate they sustain.
 */
function capacityRun(templates: RecordedNode[], replicas: number): Promise<(string | number)[]> {
  return withFleetBroker(templates, NODES, async (brokers, producer) => {
    // A backlog of the last hour (the advisor refuses samples older than the topic's retention).
    const hourAgoMs = Math.floor((Date.now() - 3_600_000) / EPOCH_MS) * EPOCH_MS;
    await sendFleet(producer, templates, NODES, [0, 1, 2, 3, 4, 5, 6], hourAgoMs);
    const reports: ReplicaReport[] = [];
    let done!: () => void;
    const all = new Promise<void>((r) => (done = r));
    const started = Date.now();
    const children = await startReplicas(replicas, brokers, 'bench', (r) => {
      reports.push(r);
      if (new Set(reports.map((x) => x.node)).size === NODES) done();
    });
    const ready = Date.now();
    await all;
    const seconds = (Date.now() - ready) / 1000;
    await stopReplicas(children);
    const ms = reports.map((r) => r.ms);
    return [
      `${replicas} replica${replicas > 1 ? 's' : ''}`,
      (7 * NODES) / seconds,
      NODES / seconds,
      percentile(ms, 50),
      percentile(ms, 99),
      reports.filter((r) => !r.cached).length,
      (Date.now() - started) / 1000,
    ];
  });
}

/**
 * One replica, live: 100 nodes each send a sample a second (100 samples/s, the fleet's rate), and
 * each analysis is timed from the sending of the sample that closed its window to its arrival here.
 * The first `warmupS` seconds (the fits of a cold model cache) are not counted.
 */
async function delayRun(
  templates: RecordedNode[],
  warmupS: number,
  seconds: number,
): Promise<(string | number)[]> {
  const nodes = 100;
  return withFleetBroker(templates, nodes, async (brokers, producer) => {
    const sentAt = new Map<number, number>();
    const delays: number[] = [];
    const toClose: number[] = [];
    const children = await startReplicas(1, brokers, 'bench-live', (r) => {
      // The window's closing sample is the one after its last.
      const at = sentAt.get(r.lastSeq + 1);
      if (at === undefined || r.lastSeq + 1 < warmupS) return;
      delays.push(r.atMs - at);
      toClose.push(r.closedAtMs - at);
    });
    const baseMs = Math.floor(Date.now() / EPOCH_MS) * EPOCH_MS;
    for (let seq = 0; seq < warmupS + seconds; seq++) {
      const tick = Date.now();
      sentAt.set(seq, tick);
      await sendFleet(producer, templates, nodes, [seq], baseMs);
      await new Promise((r) => setTimeout(r, Math.max(0, 1_000 - (Date.now() - tick))));
    }
    await new Promise((r) => setTimeout(r, 3_000));
    await stopReplicas(children);
    return [
      `1 replica, ${nodes} samples/s live, after ${warmupS} s warm-up`,
      delays.length,
      percentile(toClose, 50),
      percentile(delays, 50),
      percentile(delays, 99),
      Math.max(...delays),
    ];
  });
}

/** Advisor throughput through a real broker: capacity of one and two replicas, and end-to-end delay. */
export async function advisorThroughputBench(): Promise<void> {
  const templates: RecordedNode[] = [];
  for (const [i, t] of TEMPLATES.entries())
    templates.push(
      await recordSimulatedNode(parseScenario(t), `template-${i}`, {
        intervals: 7,
        intervalNs: INTERVAL_MS * 1e6,
      }),
    );
  const one = await capacityRun(templates, 1);
  const two = await capacityRun(templates, 2);
  printTable(
    `advisor capacity: a backlog of ${NODES.toLocaleString('en-US')} nodes × 7 samples (64 pCPUs, 64–128 vCPUs, ~60 KB a sample) on a real broker; target ${TARGET_SAMPLES_PER_S} samples/s and ${TARGET_ANALYSES_PER_S.toFixed(1)} analyses/s; one model worker per replica`,
    [
      'replicas',
      'samples/s',
      'analyses/s',
      'close→result ms p50',
      'close→result ms p99',
      'fits run',
      'wall s',
    ],
    [
      one,
      two,
      [
        'speed-up, 2 vs 1',
        `${((two[1] as number) / (one[1] as number)).toFixed(2)}×`,
        `${((two[2] as number) / (one[2] as number)).toFixed(2)}×`,
        '',
        '',
        '',
        '',
      ],
    ],
  );
  printTable(
    'advisor end-to-end delay: sending of the sample that closes a window → its analysis published',
    ['run', 'windows', 'to close ms p50', 'delay ms p50', 'delay ms p99', 'max ms'],
    [await delayRun(templates, 15, 45)],
  );
}
