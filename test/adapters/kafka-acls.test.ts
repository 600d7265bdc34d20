import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import {
  AclOperationTypes,
  AclPermissionTypes,
  AclResourceTypes,
  Kafka,
  logLevel,
  ResourcePatternTypes,
  ConfigResourceTypes,
} from 'kafkajs';
import { adminAuth, startKafka, stopKafka, type KafkaState } from '../../deploy/dev/kafka';
import { advisorGrants, agentGrants, type KafkaGrant } from '../../src/adapters/bus/kafka-acls';
import { KafkaBus } from '../../src/adapters/bus/kafka-bus';
import { EmbeddedStore } from '../../src/adapters/store/embedded-store';
import { startAdvisorRuntime } from '../../src/advisor/app/advisor-runtime';
import { Agent } from '../../src/agent/agent';
import { HostRoot } from '../../src/agent/host-root';
import { SimulatedNode } from '../../src/agent/simulated-node/simulated-node';
import { DiskSpool } from '../../src/agent/sinks/disk-spool';
import { SpoolingBusSink } from '../../src/agent/sinks/spooling-bus-sink';
import { parseScenarioYaml } from '../../src/sim/scenario';
import { defaultTopicSpecs, TOPICS } from '../../src/telemetry';
import { waitFor } from '../support/wait';

const USERS = {
  admin: 'admin-secret',
  agent: 'agent-secret',
  advisor: 'advisor-secret',
  stranger: 'x-secret',
};
const SCENARIO = join(__dirname, '..', '..', '..', 'scenarios', 'undercommitted.yaml');

/**
 * A broker with SASL/SCRAM users and KRaft's StandardAuthorizer (no ACL: no access), where the
 * agent and the advisor get exactly the grants the README documents (src/adapters/bus/kafka-acls.ts).
 */
describe('Kafka with ACLs on (SASL/SCRAM, StandardAuthorizer): the documented grants suffice, and nothing less does', () => {
  const dir = mkdtempSync(join(tmpdir(), 'spinwise-kafka-acl-'));
  let broker: KafkaState;
  let brokers: string;
  const bus = (user: keyof typeof USERS, retryForMs = 2_000) =>
    new KafkaBus({
      brokers: [brokers],
      clientId: `acl-${user}`,
      sasl: { mechanism: 'scram-sha-256', username: user, password: USERS[user] },
      retryForMs,
    });

  /** The broker's super user, who grants and inspects. */
  const superUser = () =>
    new Kafka({ brokers: [brokers], logLevel: logLevel.NOTHING, ...adminAuth({ users: USERS }) }).admin();

  const grant = async (principal: string, grants: KafkaGrant[]) => {
    const admin = superUser();
    await admin.connect();
    try {
      await admin.createAcls({
        acl: grants.flatMap((g) =>
          g.operations.map((o) => ({
            resourceType: g.resource === 'topic' ? AclResourceTypes.TOPIC : AclResourceTypes.GROUP,
            resourceName: g.name,
            resourcePatternType: g.prefixed ? ResourcePatternTypes.PREFIXED : ResourcePatternTypes.LITERAL,
            principal,
            host: '*',
            operation: AclOperationTypes[o.toUpperCase() as 'READ'],
            permissionType: AclPermissionTypes.ALLOW,
          })),
        ),
      });
    } finally {
      await admin.disconnect();
    }
  };

  before(async () => {
    broker = await startKafka(dir, { users: USERS });
    brokers = `127.0.0.1:${broker.port}`;
    await grant('User:agent', agentGrants());
    await grant('User:advisor', advisorGrants());
  });

  after(async () => {
    if (broker) await stopKafka(broker);
    rmSync(dir, { recursive: true, force: true });
  });

  it('the agent cannot create topics; the advisor creates them with their retention and compaction', async () => {
    const agent = bus('agent');
    await assert.rejects(agent.ensureTopics(defaultTopicSpecs()), (err: { errors?: { type: string }[] }) =>
      (err.errors ?? []).every((e) => e.type === 'TOPIC_AUTHORIZATION_FAILED'),
    );
    await agent.close();
    const advisor = bus('advisor');
    await advisor.ensureTopics(defaultTopicSpecs());
    await advisor.close();
    const admin = superUser();
    await admin.connect();
    const configs = await admin.describeConfigs({
      includeSynonyms: false,
      resources: [TOPICS.samples, TOPICS.inventory, TOPICS.deadLetter].map((name) => ({
        type: ConfigResourceTypes.TOPIC,
        name,
        configNames: ['cleanup.policy', 'retention.ms'],
      })),
    });
    await admin.disconnect();
    const of = (topic: string, key: string) =>
      configs.resources
        .find((r) => r.resourceName === topic)!
        .configEntries.find((e) => e.configName === key)!.configValue;
    assert.equal(of(TOPICS.samples, 'retention.ms'), '86400000');
    assert.equal(of(TOPICS.inventory, 'cleanup.policy'), 'compact');
    assert.equal(of(TOPICS.deadLetter, 'retention.ms'), String(14 * 86_400_000));
  });

  it('with only its grants an agent sends; it cannot read; a user without them sends nothing and keeps it spooled', async () => {
    const agent = bus('agent');
    const producer = agent.producer();
    await producer.send(TOPICS.samples, [{ key: 'acl-node', value: Buffer.from('{}') }]);
    await producer.close();
    const reader = agent.consumer({
      groupId: 'spinwise-agent-reads',
      topics: [TOPICS.samples],
      fromBeginning: true,
    });
    // Refused its group, the consumer crashes (kafkajs says only "Failed to find group
    // coordinator": it drops the broker's GROUP_AUTHORIZATION_FAILED), is replaced and crashes
    // again; it never joins and never fetches.
    void reader.start(async () => undefined).catch(() => undefined);
    await waitFor('the agent’s consumer to be refused twice', () => reader.health().replaced >= 2, 30_000);
    assert.match(reader.health().crashed ?? '', /group coordinator/);
    assert.equal(reader.health().member, false);
    assert.equal(reader.health().lastFetchWallMs, null);
    await reader.stop().catch(() => undefined);
    await agent.close();

    // A node whose agent has no grants: its samples wait in the spool, nothing is dropped.
    const stranger = bus('stranger');
    const spool = new DiskSpool(mkdtempSync(join(dir, 'spool-')), 16 << 20);
    const sink = new SpoolingBusSink(stranger.producer(), spool);
    sink.write([{ topic: TOPICS.samples, key: 'acl-node', value: '{}' }]);
    await sink.flush().catch(() => undefined);
    assert.ok(spool.pendingBytes > 0, 'held in the spool');
    assert.equal(spool.dropped, 0);
    await sink.close().catch(() => undefined);
    await stranger.close();
  });

  it('with only its grants an advisor runs: reads the agent’s telemetry, publishes, and removes its per-process groups when it stops', async () => {
    const agentBus = bus('agent', 10_000);
    const sim = new SimulatedNode(
      parseScenarioYaml(readFileSync(SCENARIO, 'utf8')),
      mkdtempSync(join(dir, 'sim-')),
    );
    await sim.init();
    const spool = new DiskSpool(mkdtempSync(join(dir, 'agent-spool-')), 16 << 20);
    const sink = new SpoolingBusSink(agentBus.producer(), spool);
    const started = Date.now();
    const agent = new Agent({
      node: 'acl-kvm-1',
      root: new HostRoot(sim.dir),
      sink,
      spool,
      clock: () => started + Math.round(sim.nowNs / 1e6),
    });
    await agent.start();

    const runtime = await startAdvisorRuntime(
      bus('advisor', 10_000),
      new EmbeddedStore({ database: 'spinwise', retentionMs: 86_400_000 }),
      {
        port: 0,
        analysisWorkers: 1,
        analysisIntervalMs: 500,
      },
    );
    try {
      for (let i = 0; i < 6; i++) {
        await sim.advance(100_000_000);
        await agent.sample();
      }
      await sink.flush();
      await waitFor(
        'the advisor to ingest the agent’s samples',
        () => runtime.core.metrics.samplesIngested >= 5,
        60_000,
        () => runtime.core.metrics,
      );
      await waitFor(
        'the node in the fleet view',
        async () => ((await (await fetch(`${runtime.url}/api/nodes`)).json()) as unknown[]).length > 0,
        60_000,
      );
    } finally {
      await agent.stop();
      await runtime.stop();
      await agentBus.close();
    }
    const admin = superUser();
    await admin.connect();
    const groups = (await admin.listGroups()).groups.map((g) => g.groupId).sort();
    await admin.disconnect();
    assert.ok(groups.includes('spinwise-advisor'), JSON.stringify(groups));
    assert.deepEqual(
      groups.filter((g) => /fleet-view|inventory/.test(g)),
      [],
      'no per-process group left behind',
    );
  });
});
