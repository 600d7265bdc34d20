import assert from 'node:assert/strict';
import { fork, type ChildProcess } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { mkdirSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { CoordinationV1Api, CoreV1Api } from '@kubernetes/client-node';
import { Kafka, logLevel } from 'kafkajs';
import { withInfluxDown, withKafkaDown } from '../../deploy/dev/services';
import { KafkaBus } from '../../src/adapters/bus/kafka-bus';
import { LeaseLeader, microTime } from '../../src/adapters/kubernetes/lease-leader';
import { SlackAlerter } from '../../src/adapters/slack/slack-alerter';
import { webhookPost } from '../../src/adapters/slack/webhook-post';
import { InfluxStore } from '../../src/adapters/store/influx-store';
import { AdvisorCore } from '../../src/advisor/ingest/advisor-core';
import { startAdvisorRuntime } from '../../src/advisor/app/advisor-runtime';
import { codecs, defaultTopicSpecs, TOPICS, type NodeSample } from '../../src/telemetry';
import { kubeConfigAs } from '../support/kube';
import { servicesStateFile, testBrokers, testInfluxUrl } from '../support/services';
import { TINY_INTERVAL_MS, tinyInventory, tinySample } from '../support/tiny-node';
import { sleep, waitFor } from '../support/wait';

/**
 * Faults and hostile input on the real services, each case a row: what was sent, what was
 * invalid and dead-lettered, how many valid samples were stored and analysed, how many were lost
 * or analysed twice (both must be 0), how long recovery took, and the memory before and after.
 * The table is printed and written to test-results/reliability.json.
 */
interface Row {
  case: string;
  sent: number;
  invalid: number;
  deadLettered: number;
  validStored: number;
  validAnalysed: number;
  lost: number;
  duplicatesAnalysed: number;
  recoveryMs: number | null;
  /** Messages handled per second from the first send (hostile input: dead letters go out in batches). */
  handledPerS: number | null;
  rssBeforeMb: number;
  rssAfterMb: number;
}
const rows: Row[] = [];
const COLUMNS: (keyof Row)[] = [
  'case',
  'sent',
  'invalid',
  'deadLettered',
  'validStored',
  'validAnalysed',
  'lost',
  'duplicatesAnalysed',
  'recoveryMs',
  'handledPerS',
  'rssBeforeMb',
  'rssAfterMb',
];
const rssMb = () => Math.round(process.memoryUsage().rss / 1048576);
const ARTIFACTS = join(__dirname, '..', '..', '..', 'test-results');

/** A fresh consumer group that starts where the samples topic ends now (no older test's backlog). */
async function groupAtEnd(group: string): Promise<void> {
  const bus = new KafkaBus({ brokers: [testBrokers()] });
  await bus.ensureTopics(defaultTopicSpecs());
  await bus.close();
  const kafka = new Kafka({ brokers: [testBrokers()], logLevel: logLevel.NOTHING });
  const admin = kafka.admin();
  await admin.connect();
  try {
    // Right after the topics were created, partition leaders may still be moving in: try again.
    for (let attempt = 1; ; attempt++) {
      try {
        const ends = await admin.fetchTopicOffsets(TOPICS.samples);
        await admin.setOffsets({
          groupId: group,
          topic: TOPICS.samples,
          partitions: ends.map((p) => ({ partition: p.partition, offset: p.high })),
        });
        return;
      } catch (err) {
        if (attempt >= 20) throw err;
        await sleep(500);
      }
    }
  } finally {
    await admin.disconnect();
  }
}

/** One advisor in this process on real Kafka and InfluxDB, recording what each analysis counted as new. */
async function startAdvisor(nodes: string[]) {
  const group = `reliability-${randomUUID().slice(0, 8)}`;
  await groupAtEnd(group);
  const bus = new KafkaBus({ brokers: [testBrokers()], retryForMs: 120_000 });
  await bus.ensureTopics(defaultTopicSpecs());
  const database = `rel_${randomUUID().replace(/-/g, '').slice(0, 12)}`;
  const store = new InfluxStore({ url: testInfluxUrl(), database, retentionMs: 86_400_000 });
  const fresh = new Map<string, number[]>();
  const core = new AdvisorCore(
    bus,
    store,
    {
      log: (l) => process.stderr.write(`${l}\n`),
      groupId: group,
      analysisWorkers: 1,
      analysisIntervalMs: 60_000,
    },
    [{ analysis: (a, cost) => void fresh.set(a.node, [...(fresh.get(a.node) ?? []), ...cost.freshSeqs]) }],
  );
  await core.start();
  const producer = bus.producer();
  const advisor = { bus, store, core, fresh, producer };
  running.add(advisor);
  await producer.send(
    TOPICS.inventory,
    nodes.map((n) => ({ key: n, value: codecs.inventory.encode(tinyInventory(n)) })),
  );
  return advisor;
}

/** Advisors a failed case left running: stopped at the end, so the test process can exit. */
const running = new Set<{ core: AdvisorCore; bus: KafkaBus }>();
const children: ChildProcess[] = [];

type Advisor = Awaited<ReturnType<typeof startAdvisor>>;

/** Valid samples stored: one point per sample of the one-vCPU node, one bucket per interval. */
async function storedCount(store: InfluxStore, node: string, baseMs: number, count: number): Promise<number> {
  const [series] = await store.query({
    measurement: 'vcpu',
    field: 'pleExits',
    aggregate: 'sum',
    fromMs: baseMs,
    toMs: baseMs + (count + 2) * TINY_INTERVAL_MS,
    bucketMs: TINY_INTERVAL_MS,
    where: { node },
  });
  return series?.buckets.length ?? 0;
}

/** Closes every window, stops the advisor, and fills a row from what it analysed and stored. */
async function finish(
  adv: Advisor,
  name: string,
  valid: { node: string; count: number; baseMs: number }[],
  extra: Pick<Row, 'sent' | 'invalid' | 'recoveryMs' | 'rssBeforeMb'> & Partial<Pick<Row, 'handledPerS'>>,
): Promise<Row> {
  await waitFor('every message handled', () => adv.core.metrics.messagesHandled >= extra.sent, 120_000);
  // Handled counts redeliveries too (a consumer that rejoins reads again from the last commit):
  // only the distinct samples in the windows say that every valid one has arrived.
  const validCount = valid.reduce((n, v) => n + v.count, 0);
  await waitFor('every valid sample ingested', () => adv.core.metrics.samplesIngested >= validCount, 120_000);
  while ((await adv.core.analyseNow()).analysed.length > 0);
  const deadLettered = adv.core.metrics.deadLettered;
  await adv.core.stop();
  let stored = 0;
  let analysed = 0;
  let duplicates = 0;
  let expected = 0;
  for (const v of valid) {
    expected += v.count;
    stored += await storedCount(adv.store, v.node, v.baseMs, v.count);
    const seqs = adv.fresh.get(v.node) ?? [];
    const distinct = new Set(seqs.filter((s) => s < v.count));
    analysed += distinct.size;
    duplicates += seqs.length - new Set(seqs).size;
  }
  await adv.producer.close();
  await adv.bus.close();
  running.delete(adv);
  const row: Row = {
    case: name,
    handledPerS: null,
    ...extra,
    deadLettered,
    validStored: stored,
    validAnalysed: analysed,
    lost: expected - analysed + (expected - stored),
    duplicatesAnalysed: duplicates,
    rssAfterMb: rssMb(),
  };
  rows.push(row);
  return row;
}

const encode = (s: NodeSample) => ({ key: s.node, value: codecs.sample.encode(s) });
const run = () => randomUUID().slice(0, 6);

describe('reliability on real Kafka, InfluxDB and Slack stand-in: faults survived, nothing valid lost', () => {
  after(async () => {
    for (const c of children) c.kill('SIGKILL');
    for (const adv of running) {
      await adv.core.stop().catch(() => undefined);
      await adv.bus.close().catch(() => undefined);
    }
    // A kafkajs client that reconnected through the broker outage can keep a socket open after
    // every client was closed (seen here); the file must end all the same, with its results given.
    setTimeout(() => process.exit(), 10_000).unref();
    mkdirSync(ARTIFACTS, { recursive: true });
    writeFileSync(join(ARTIFACTS, 'reliability.json'), `${JSON.stringify({ cases: rows }, null, 2)}\n`);
    const header = COLUMNS;
    const show = (v: string | number | null) => (v === null || Number.isNaN(v) ? '–' : String(v));
    const cells = [header as string[], ...rows.map((r) => header.map((h) => show(r[h])))];
    const widths = header.map((_, i) => Math.max(...cells.map((c) => c[i]!.length)));
    process.stderr.write(
      `\nreliability (test-results/reliability.json)\n${cells
        .map((c) => c.map((x, i) => (i === 0 ? x.padEnd(widths[i]!) : x.padStart(widths[i]!))).join('  '))
        .join('\n')}\n`,
    );
  });

  it('hostile input: duplicates, replays, reorderings, garbage and forged samples around valid ones', async () => {
    const nodes = Array.from({ length: 16 }, (_, i) => `fuzz-${run()}-${i}`);
    const adv = await startAdvisor(nodes);
    const rssBeforeMb = rssMb();
    const baseMs = Math.floor((Date.now() - 3_600_000) / 60_000) * 60_000;
    const COUNT = 60;
    let seed = 7;
    const rand = () => (seed = (seed * 1103515245 + 12345) % 2 ** 31) / 2 ** 31;
    const pick = <T>(xs: T[]): T => xs[Math.floor(rand() * xs.length)]!;
    const out: { key: string; value: Buffer }[] = [];
    let invalid = 0;
    // One buffer, sent many times: the process's memory is the advisor's, not the test's copies.
    const huge = Buffer.from(
      JSON.stringify({
        ...tinySample(nodes[0]!, 0, baseMs),
        vcpus: Array.from({ length: 20_000 }, (_, i) => ({
          ...tinySample(nodes[0]!, 0, baseMs).vcpus[0]!,
          vcpu: i,
        })),
      }),
    );
    /** Every way a message can be wrong that a broken or hostile producer has shown. */
    const garbage = (s: NodeSample): Buffer => {
      const json = codecs.sample.encode(s);
      return pick([
        () => Buffer.from('not json'),
        () => json.subarray(0, Math.floor(rand() * json.length)),
        () => Buffer.from(Array.from({ length: 64 }, () => Math.floor(rand() * 256))),
        () => Buffer.from(JSON.stringify({ ...s, seq: -1 })),
        () => Buffer.from(JSON.stringify({ ...s, schema: 'spinwise.sample.v0' })),
        () => Buffer.from(JSON.stringify({ ...s, node: '' })),
        () => Buffer.from(JSON.stringify({ ...s, timestampMs: '2026-01-01' })),
        () => Buffer.from(JSON.stringify({ ...s, vcpus: [{ ...s.vcpus[0], pleExits: -4 }] })),
        () => huge,
        () => codecs.sample.encode({ ...s, timestampMs: Date.parse('2100-01-01T00:00:00Z') }),
        () => codecs.sample.encode({ ...s, timestampMs: Date.parse('2001-01-01T00:00:00Z') }),
      ])();
    };
    for (let seq = 0; seq < COUNT; seq++)
      for (const node of nodes) {
        const s = tinySample(node, seq, baseMs);
        out.push(encode(s));
        if (rand() < 0.3) out.push(encode(s)); // duplicate
        if (rand() < 0.1 && seq > 3) out.push(encode(tinySample(node, seq - 3, baseMs))); // replay
        for (let g = 0; rand() < 0.75 && g < 8; g++) {
          invalid++;
          out.push({ key: node, value: garbage(s) });
        }
      }
    // Local reordering: swap neighbours now and then.
    for (let i = 1; i < out.length; i++) if (rand() < 0.2) [out[i - 1], out[i]] = [out[i]!, out[i - 1]!];
    const sentAt = Date.now();
    for (let i = 0; i < out.length; i += 200) await adv.producer.send(TOPICS.samples, out.slice(i, i + 200));
    await waitFor('every message handled', () => adv.core.metrics.messagesHandled >= out.length, 120_000);
    const handledPerS = Math.round(out.length / ((Date.now() - sentAt) / 1000));
    const row = await finish(
      adv,
      'hostile input',
      nodes.map((node) => ({ node, count: COUNT, baseMs })),
      { sent: out.length, invalid, recoveryMs: null, rssBeforeMb, handledPerS },
    );
    assert.equal(row.deadLettered, invalid, 'exactly the invalid ones dead-lettered');
    assert.equal(row.lost, 0);
    assert.equal(row.duplicatesAnalysed, 0);
  });

  it('broker down for 30 s: the advisor reconnects and goes on', async () => {
    const node = `kafka-down-${run()}`;
    const adv = await startAdvisor([node]);
    const rssBeforeMb = rssMb();
    const baseMs = Math.floor((Date.now() - 3_600_000) / 60_000) * 60_000;
    const COUNT = 30;
    const send = (from: number, to: number, p = adv.producer) =>
      p.send(
        TOPICS.samples,
        Array.from({ length: to - from }, (_, i) => encode(tinySample(node, from + i, baseMs))),
      );
    await send(0, 15);
    await waitFor('the first half ingested', () => adv.core.metrics.samplesIngested >= 15, 60_000);
    await withKafkaDown(servicesStateFile(), () => sleep(30_000));
    const back = Date.now();
    await send(15, COUNT);
    // Not messages handled: after the broker is back the first half is read again (its offsets
    // wait for its analysis), and those redeliveries alone would reach the count.
    await waitFor('the second half ingested', () => adv.core.metrics.samplesIngested >= COUNT, 120_000);
    const recoveryMs = Date.now() - back;
    const row = await finish(adv, 'Kafka down 30 s', [{ node, count: COUNT, baseMs }], {
      sent: COUNT,
      invalid: 0,
      recoveryMs,
      rssBeforeMb,
    });
    assert.equal(row.lost, 0, JSON.stringify(row));
    assert.equal(row.duplicatesAnalysed, 0);
  });

  it('broker down for 40 s: the dashboard, /api/nodes and /readyz answer throughout, /readyz degraded, the Service never emptied', async () => {
    const node = `lights-on-${run()}`;
    const bus = new KafkaBus({ brokers: [testBrokers()], retryForMs: 120_000 });
    await bus.ensureTopics(defaultTopicSpecs());
    const store = new InfluxStore({
      url: testInfluxUrl(),
      database: `lights_${run()}`,
      retentionMs: 86_400_000,
    });
    const runtime = await startAdvisorRuntime(bus, store, {
      port: 0,
      groupId: `lights-${run()}`,
      analysisWorkers: 1,
      analysisIntervalMs: 60_000,
    });
    try {
      const producer = bus.producer();
      const baseMs = Math.floor((Date.now() - 3_600_000) / 60_000) * 60_000;
      await producer.send(TOPICS.inventory, [
        { key: node, value: codecs.inventory.encode(tinyInventory(node)) },
      ]);
      await producer.send(
        TOPICS.samples,
        Array.from({ length: 12 }, (_, i) => encode(tinySample(node, i, baseMs))),
      );
      const names = async () =>
        ((await (await fetch(`${runtime.url}/api/nodes`)).json()) as { name: string }[]).map((n) => n.name);
      await waitFor('the node in /api/nodes', async () => (await names()).includes(node), 60_000);
      const polls = { dashboard: [] as number[], nodes: [] as number[], readyz: [] as number[] };
      const states = new Set<string>();
      let listed = 0;
      let degradedMetric = false;
      await withKafkaDown(servicesStateFile(), async () => {
        const until = Date.now() + 40_000;
        while (Date.now() < until) {
          polls.dashboard.push((await fetch(`${runtime.url}/`)).status);
          const nodes = await fetch(`${runtime.url}/api/nodes`);
          polls.nodes.push(nodes.status);
          if (((await nodes.json()) as { name: string }[]).some((n) => n.name === node)) listed++;
          const ready = await fetch(`${runtime.url}/readyz`);
          polls.readyz.push(ready.status);
          states.add(((await ready.json()) as { status: string }).status);
          degradedMetric ||= /^spinwise_degraded\{part="kafka"\} 1$/m.test(
            await (await fetch(`${runtime.url}/metrics`)).text(),
          );
          await sleep(1_000);
        }
      });
      const ok = (xs: number[]) => `${xs.filter((x) => x === 200).length}/${xs.length}`;
      process.stderr.write(
        `during the broker outage: dashboard ${ok(polls.dashboard)}, /api/nodes ${ok(polls.nodes)} (node listed ${listed}), /readyz ${ok(polls.readyz)} 200, states ${[...states].join(', ')}\n`,
      );
      for (const [what, statuses] of Object.entries(polls))
        assert.ok(statuses.length > 10 && statuses.every((x) => x === 200), `${what}: ${statuses.join(' ')}`);
      assert.equal(listed, polls.nodes.length, 'the node stayed listed');
      assert.ok(states.has('degraded'), `readyz said ${[...states].join(', ')}`);
      assert.ok(degradedMetric, 'spinwise_degraded{part="kafka"} 1 during the outage');
    } finally {
      await runtime.stop();
      await bus.close();
    }
  });

  it('InfluxDB down for 60 s: points wait in a bounded buffer and are written when it is back', async () => {
    const node = `influx-down-${run()}`;
    const adv = await startAdvisor([node]);
    const rssBeforeMb = rssMb();
    const baseMs = Math.floor((Date.now() - 3_600_000) / 60_000) * 60_000;
    const COUNT = 30;
    let recoveryMs = 0;
    await withInfluxDown(servicesStateFile(), async () => {
      await adv.producer.send(
        TOPICS.samples,
        Array.from({ length: COUNT }, (_, seq) => encode(tinySample(node, seq, baseMs))),
      );
      await waitFor(
        'all handled while the store is down',
        () => adv.core.metrics.messagesHandled >= COUNT,
        60_000,
      );
      await sleep(60_000 - 5_000);
      assert.ok(adv.core.metrics.storeWriteFailures > 0, 'writes failed meanwhile');
    });
    const back = Date.now();
    await waitFor('the buffer written', () => adv.core.pointsPending === 0, 60_000);
    recoveryMs = Date.now() - back;
    const row = await finish(adv, 'InfluxDB down 60 s', [{ node, count: COUNT, baseMs }], {
      sent: COUNT,
      invalid: 0,
      recoveryMs,
      rssBeforeMb,
    });
    assert.equal(row.lost, 0);
  });

  it('a replica SIGKILLed mid-analysis: the other takes its nodes over, no window lost or analysed twice', async () => {
    const nodes = Array.from({ length: 6 }, (_, i) => `sigkill-${run()}-${i}`);
    const group = `reliability-kill-${run()}`;
    await groupAtEnd(group);
    const bus = new KafkaBus({ brokers: [testBrokers()] });
    const producer = bus.producer();
    await producer.send(
      TOPICS.inventory,
      nodes.map((n, i) => ({ key: n, value: codecs.inventory.encode(tinyInventory(n, 1 + i)) })),
    );
    const fresh = new Map<string, number[]>();
    const spawnReplica = (): Promise<{ child: ChildProcess; inFlight: Promise<void> }> =>
      new Promise((resolve) => {
        const child = fork(join(__dirname, '..', '..', 'bench', 'advisor-replica.js'), {
          env: {
            ...process.env,
            BROKERS: testBrokers(),
            GROUP: group,
            EPOCH_MS: '60000',
            WORKERS: '1',
            REPORT_IN_FLIGHT: '1',
          },
        });
        let sawInFlight!: () => void;
        const inFlight = new Promise<void>((r) => (sawInFlight = r));
        child.on('message', (m: { type: string; node: string; freshSeqs: number[] }) => {
          if (m.type === 'ready') resolve({ child, inFlight });
          if (m.type === 'in-flight') sawInFlight();
          if (m.type === 'analysis') fresh.set(m.node, [...(fresh.get(m.node) ?? []), ...m.freshSeqs]);
        });
      });
    const rssBeforeMb = rssMb();
    const a = await spawnReplica();
    children.push(a.child);
    const baseMs = Math.floor((Date.now() - 3_600_000) / 60_000) * 60_000;
    const COUNT = 24; // four minutes: windows close at 6, 12 and 18
    await producer.send(
      TOPICS.samples,
      nodes.flatMap((n, i) =>
        Array.from({ length: COUNT }, (_, seq) => encode(tinySample(n, seq, baseMs, 1 + i))),
      ),
    );
    await a.inFlight;
    a.child.kill('SIGKILL');
    const killed = Date.now();
    const b = await spawnReplica();
    children.push(b.child);
    await waitFor(
      'every node’s closed windows analysed by the survivor',
      () => nodes.every((n) => new Set(fresh.get(n) ?? []).size >= 18),
      120_000,
    );
    const recoveryMs = Date.now() - killed;
    await new Promise<void>(
      (resolve) => (b.child.once('exit', () => resolve()), b.child.send({ type: 'stop' })),
    );
    await producer.close();
    await bus.close();
    let analysed = 0;
    let duplicates = 0;
    for (const n of nodes) {
      const seqs = fresh.get(n) ?? [];
      analysed += new Set(seqs).size;
      duplicates += seqs.length - new Set(seqs).size;
    }
    // The last window (seqs 18–23) closes only with the next epoch's first sample: 18 per node count.
    const row: Row = {
      case: 'replica SIGKILLed mid-analysis',
      sent: nodes.length * COUNT,
      invalid: 0,
      deadLettered: 0,
      validStored: NaN,
      validAnalysed: analysed,
      lost:
        nodes.length * 18 -
        nodes.reduce((a2, n) => a2 + new Set((fresh.get(n) ?? []).filter((s) => s < 18)).size, 0),
      duplicatesAnalysed: duplicates,
      handledPerS: null,
      recoveryMs,
      rssBeforeMb,
      rssAfterMb: rssMb(),
    };
    rows.push(row);
    assert.equal(row.lost, 0);
    assert.equal(row.duplicatesAnalysed, 0);
  });

  it('Slack down: alerts wait and retry with backoff, and are delivered once it is back', async () => {
    let up = false;
    const received: string[] = [];
    const server = createServer((req, res) => {
      let body = '';
      req.on('data', (d: Buffer) => (body += d.toString()));
      req.on('end', () => {
        if (!up) return void res.writeHead(503).end('down');
        received.push(body);
        res.writeHead(200).end('ok');
      });
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/hook`;
    const rssBeforeMb = rssMb();
    const slack = new SlackAlerter({ post: webhookPost(url), retries: 6, backoffMs: 500 });
    const finding = {
      kind: 'ple-rate' as const,
      vm: 'vm-a',
      severity: 'critical' as const,
      value: 20_000,
      threshold: 10_000,
      message: 'vm-a: 20,000 PLE exits per vCPU-second',
    };
    for (const node of ['slack-a', 'slack-b', 'slack-c'])
      slack.notify({
        node,
        transition: 'raised',
        finding,
        vms: ['vm-a'],
        dashboardUrl: `http://spinwise/#/nodes/${node}`,
      });
    await sleep(10_000);
    up = true;
    const back = Date.now();
    await waitFor('every alert delivered', () => received.length === 3, 60_000);
    const recoveryMs = Date.now() - back;
    await slack.flush();
    server.close();
    rows.push({
      case: 'Slack down 10 s',
      sent: 3,
      invalid: 0,
      deadLettered: 0,
      validStored: received.length,
      validAnalysed: NaN,
      lost: 3 - received.length,
      duplicatesAnalysed: 0,
      handledPerS: null,
      recoveryMs,
      rssBeforeMb,
      rssAfterMb: rssMb(),
    });
    assert.equal(slack.counters.failed, 0);
    assert.ok(slack.counters.retried >= 3);
  });

  it('the planner leader’s Lease taken away: the leader notices at its next renewal and one leads again after expiry', async () => {
    const kc = kubeConfigAs();
    await kc
      .makeApiClient(CoreV1Api)
      .createNamespace({ body: { metadata: { name: 'spinwise-lease' } } })
      .catch(() => undefined);
    const elector = (identity: string) =>
      new LeaseLeader(kc, {
        namespace: 'spinwise-lease',
        identity,
        leaseDurationSeconds: 3,
        renewEveryMs: 200,
      });
    const rssBeforeMb = rssMb();
    const a = elector('advisor-a');
    const b = elector('advisor-b');
    await a.start();
    await b.start();
    try {
      await waitFor('a to lead', () => a.isLeader(), 10_000);
      const leases = kc.makeApiClient(CoordinationV1Api);
      const lease = await leases.readNamespacedLease({
        name: 'spinwise-planner',
        namespace: 'spinwise-lease',
      });
      // Someone else writes the Lease (an operator, a stale replica): it is no longer ours.
      await leases.replaceNamespacedLease({
        name: 'spinwise-planner',
        namespace: 'spinwise-lease',
        body: {
          ...lease,
          spec: { ...lease.spec, holderIdentity: 'intruder', renewTime: microTime(Date.now()) },
        },
      });
      const taken = Date.now();
      await waitFor('a to notice', () => !a.isLeader(), 10_000);
      const noticedMs = Date.now() - taken;
      await waitFor('someone to lead again', () => a.isLeader() || b.isLeader(), 15_000);
      const recoveryMs = Date.now() - taken;
      process.stderr.write(`lease lost: noticed in ${noticedMs} ms, a leader again after ${recoveryMs} ms\n`);
      assert.ok(!(a.isLeader() && b.isLeader()), 'never two leaders');
      rows.push({
        case: 'planner Lease lost',
        sent: 0,
        invalid: 0,
        deadLettered: 0,
        validStored: NaN,
        validAnalysed: NaN,
        lost: 0,
        duplicatesAnalysed: 0,
        handledPerS: null,
        recoveryMs,
        rssBeforeMb,
        rssAfterMb: rssMb(),
      });
    } finally {
      await a.stop();
      await b.stop();
    }
  });
});
