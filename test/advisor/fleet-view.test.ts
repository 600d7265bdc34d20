import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { it } from 'node:test';
import { KafkaBus } from '../../src/adapters/bus/kafka-bus';
import { partitionForKey } from '../../src/adapters/bus/murmur2-partitioner';
import { InfluxStore } from '../../src/adapters/store/influx-store';
import { startAdvisorRuntime, type AdvisorRuntime } from '../../src/advisor/app/advisor-runtime';
import { cloneAs, recordSimulatedNode } from '../../src/agent/simulated-node/record-node';
import { parseScenarioYaml } from '../../src/sim/scenario';
import { codecs, defaultTopicSpecs, TOPICS } from '../../src/telemetry';
import { freePort } from '../../deploy/dev/free-port';
import { testBrokers, testInfluxUrl } from '../support/services';
import { sendClones } from '../support/send-clones';
import { waitFor } from '../support/wait';

const SAMPLE_MS = 200;
const EPOCH_MS = 5 * SAMPLE_MS;

const scenario = (file: string) =>
  parseScenarioYaml(readFileSync(join(__dirname, '..', '..', '..', 'scenarios', file), 'utf8'));

/**
 * The paper's VMs at 2:1 (two 8-vCPU VMs on 8 pCPUs). At the paper's 4:1 the spin share is
 * saturated: one VM moved away leaves the node spinning as much in total, and the planner rightly
 * declines the move (gain under its 2 % threshold); at 2:1 one move ends the oversubscription.
 */
const spinningAtTwoToOne = () => {
  const paper = scenario('paper-four-8vcpu-vms.yaml');
  return { ...paper, vms: [{ ...paper.vms[0]!, count: 2 }] };
};

async function getJson<T>(url: string): Promise<{ status: number; body: T }> {
  const res = await fetch(url);
  return { status: res.status, body: (await res.json()) as T };
}

interface NodeRow {
  name: string;
  severity: string;
  analysedAtMs: number | null;
  owner: string;
  predictionAgeMs: number | null;
}

it('two advisor replicas on real Kafka each serve the whole fleet: every node, its page, the same alerts and plan; one stopped, the other still serves everything', async () => {
  const run = randomUUID().slice(0, 8);
  const bus = new KafkaBus({ brokers: [testBrokers()] });
  await bus.ensureTopics(defaultTopicSpecs());
  // Half the nodes spin (the paper's VMs at 2:1), half have room: alerts, and moves to plan.
  const recordings = await Promise.all(
    [spinningAtTwoToOne(), scenario('undercommitted.yaml')].map((s) =>
      recordSimulatedNode(s, 'template', { intervals: 5, intervalNs: SAMPLE_MS * 1e6 }),
    ),
  );
  let clones: ReturnType<typeof cloneAs>[] = [];
  let nodes: string[] = [];
  const producer = bus.producer();
  const base = Math.floor((Date.now() - 3_600_000) / EPOCH_MS) * EPOCH_MS;
  const send = (from: number, to: number) => sendClones(producer, clones, from, to, base, SAMPLE_MS);
  const store = new InfluxStore({ url: testInfluxUrl(), database: `fleet_${run}`, retentionMs: 86_400_000 });
  const replica = async (name: string) =>
    startAdvisorRuntime(bus, store, {
      port: await freePort(),
      replica: name,
      groupId: `fleet-${run}`,
      analysisIntervalMs: EPOCH_MS,
      analysisWorkers: 1,
      fromBeginning: false,
      planner: { intervalMs: 3_600_000 },
    });
  const ours = <T extends { name?: string; node?: string }>(rows: T[]) =>
    rows.filter((r) => nodes.includes((r.name ?? r.node)!));
  const runtimes: AdvisorRuntime[] = [];
  try {
    const a = await replica(`a-${run}`);
    runtimes.push(a);
    const b = await replica(`b-${run}`);
    runtimes.push(b);
    await waitFor(
      'the group to split the partitions',
      () =>
        a.core.ownedPartitions().length > 0 &&
        b.core.ownedPartitions().length > 0 &&
        a.core.ownedPartitions().length + b.core.ownedPartitions().length === 12,
      30_000,
    );
    // Three nodes on each replica's partitions (named after the split, so that both own some).
    const names = Array.from({ length: 200 }, (_, k) => `fleet-${run}-${k}`);
    const on = (r: AdvisorRuntime) =>
      names.filter((n) => r.core.ownedPartitions().includes(partitionForKey(n, 12))).slice(0, 3);
    const ofA = on(a);
    nodes = [...ofA, ...on(b)];
    clones = nodes.map((n, i) => cloneAs(recordings[i % 2]!, n));
    await producer.send(
      TOPICS.inventory,
      clones.map((c) => ({ key: c.inventory.node, value: codecs.inventory.encode(c.inventory) })),
    );
    await send(0, 14);
    const listed = async (r: AdvisorRuntime) => ours((await getJson<NodeRow[]>(`${r.url}/api/nodes`)).body);
    await waitFor(
      'both replicas list every node, with findings and a prediction',
      async () =>
        (await Promise.all([a, b].map(listed))).every(
          (rows) =>
            rows.length === nodes.length &&
            rows.every((n) => n.analysedAtMs !== null && n.predictionAgeMs !== null),
        ),
      90_000,
    );
    const owners = new Set((await listed(a)).map((n) => n.owner));
    assert.deepEqual([...owners].sort(), [`a-${run}`, `b-${run}`], 'each replica owns some nodes');

    // The same fleet from either replica (the live parts, such as the agent's age, aside), and
    // each node's page on both, owned or not.
    const fleetOf = async (r: AdvisorRuntime) =>
      JSON.stringify((await listed(r)).map((n) => [n.name, n.owner, n.severity, n.analysedAtMs]));
    await waitFor(
      'both show the same newest analyses',
      async () => (await fleetOf(a)) === (await fleetOf(b)),
      30_000,
      () => [],
    );
    for (const n of nodes)
      for (const r of [a, b]) {
        const page = await getJson<{
          owner: string;
          analysis: { node: string } | null;
          findings: { node: string } | null;
        }>(`${r.url}/api/nodes/${n}`);
        assert.equal(page.status, 200, `${n} on ${r.core.replica}`);
        assert.equal(page.body.analysis?.node, n);
        assert.equal(page.body.findings?.node, n);
        const series = await fetch(`${r.url}/api/nodes/${n}/series?minutes=120`);
        assert.equal(series.status, 200, `${n}'s series on ${r.core.replica}`);
      }

    // Alerts raised by either replica's analyses are in both histories.
    type Alert = { node: string; transition: string; finding: { kind: string }; replica: string };
    const alertsOf = async (r: AdvisorRuntime) => ours((await getJson<Alert[]>(`${r.url}/api/alerts`)).body);
    await waitFor(
      'alerts on the spinning nodes, the same on both replicas',
      async () => {
        const [x, y] = await Promise.all([a, b].map(alertsOf));
        return x!.length > 0 && JSON.stringify(x) === JSON.stringify(y);
      },
      60_000,
    );
    const raisedBy = new Set((await alertsOf(a)).map((x) => x.replica));
    assert.ok(raisedBy.size >= 1);
    assert.deepEqual(
      (await getJson<unknown[]>(`${a.url}/api/alerts/active`)).body,
      (await getJson<unknown[]>(`${b.url}/api/alerts/active`)).body,
    );

    // The leader plans; the follower serves the same plan.
    await waitFor('a leader', () => a.planner.isLeader() || b.planner.isLeader(), 30_000);
    const leaderMoves = await (a.planner.isLeader() ? a : b).planner.planIfLeader();
    assert.ok(leaderMoves && leaderMoves.length > 0, 'the leader planned moves off the spinning nodes');
    type Plan = { lastPlan: { moves: { node: string; vm: string; toNode: string }[] } | null };
    const movesOf = async (r: AdvisorRuntime) =>
      ((await getJson<Plan>(`${r.url}/api/plan`)).body.lastPlan?.moves ?? []).map(
        (m) => `${m.node}/${m.vm} → ${m.toNode}`,
      );
    await waitFor(
      'the same plan on both replicas',
      async () => (await movesOf(b)).length > 0 && (await movesOf(a)).join() === (await movesOf(b)).join(),
      30_000,
    );

    // One replica stopped: the other still serves every node and its page.
    await a.stop();
    runtimes.shift();
    assert.equal((await listed(b)).length, nodes.length);
    for (const n of nodes) assert.equal((await fetch(`${b.url}/api/nodes/${n}`)).status, 200);

    // ... and analyses the nodes it took over starting from the models their previous owner
    // published, not from nothing.
    await send(14, 24);
    type Page = { analysis: { replica?: string } | null };
    await waitFor(
      'the survivor analyses the nodes it took over',
      async () =>
        (await Promise.all(ofA.map((n) => getJson<Page>(`${b.url}/api/nodes/${n}`)))).every(
          (p) => p.body.analysis?.replica === b.core.replica,
        ),
      60_000,
    );
    assert.equal(
      b.core.runner.stats().takenOver,
      ofA.length,
      "each node's model taken over from a's analyses",
    );
  } finally {
    for (const r of runtimes) await r.stop();
    await producer.close();
    await bus.close();
  }
});
