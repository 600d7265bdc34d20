import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
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
} from 'kafkajs';
import { adminAuth, startKafka, stopKafka, type KafkaState, type SecuredKafka } from '../../deploy/dev/kafka';
import { makeTestPki, type TestPki } from '../../deploy/dev/test-pki';
import { agentGrants } from '../../src/adapters/bus/kafka-acls';
import { kafkaBusFromEnv } from '../../src/cli/kafka-from-env';
import { defaultTopicSpecs, TOPICS } from '../../src/telemetry';

/**
 * Client-certificate TLS (Strimzi's `tls` authentication): the broker requires a certificate
 * signed by its CA, the principal is the certificate's subject, ACLs decide what it may do.
 */
describe('Kafka with TLS client certificates (ssl.client.auth=required, ACLs on)', () => {
  const dir = mkdtempSync(join(tmpdir(), 'spinwise-kafka-tls-'));
  let broker: KafkaState;
  let pki: TestPki;
  let secured: SecuredKafka;
  const env = (extra: Record<string, string>) => ({
    SPINWISE_KAFKA_BROKERS: `127.0.0.1:${broker.port}`,
    ...extra,
  });

  before(async () => {
    pki = makeTestPki(dir, ['broker', 'spinwise-agent']);
    secured = { tls: { caFile: pki.caFile, ...pki.certs.broker!, superUser: 'CN=broker' } };
    broker = await startKafka(join(dir, 'kafka'), secured);
    const admin = new Kafka({
      brokers: [`127.0.0.1:${broker.port}`],
      logLevel: logLevel.NOTHING,
      ...adminAuth(secured),
    }).admin();
    await admin.connect();
    await admin.createTopics({
      topics: defaultTopicSpecs().map((t) => ({ topic: t.name, numPartitions: 1, replicationFactor: 1 })),
    });
    await admin.createAcls({
      acl: agentGrants().flatMap((g) =>
        g.operations.map((o) => ({
          resourceType: AclResourceTypes.TOPIC,
          resourceName: g.name,
          resourcePatternType: ResourcePatternTypes.LITERAL,
          principal: 'User:CN=spinwise-agent',
          host: '*',
          operation: AclOperationTypes[o.toUpperCase() as 'WRITE'],
          permissionType: AclPermissionTypes.ALLOW,
        })),
      ),
    });
    await admin.disconnect();
  });

  after(async () => {
    if (broker) await stopKafka(broker);
    rmSync(dir, { recursive: true, force: true });
  });

  it('an agent with its certificate (SPINWISE_KAFKA_CERT_FILE, _KEY_FILE, _CA_FILE) sends; without one it cannot connect', async () => {
    const agent = kafkaBusFromEnv(
      env({
        SPINWISE_KAFKA_CA_FILE: pki.caFile,
        SPINWISE_KAFKA_CERT_FILE: pki.certs['spinwise-agent']!.certFile,
        SPINWISE_KAFKA_KEY_FILE: pki.certs['spinwise-agent']!.keyFile,
      }),
      'tls-agent',
      2_000,
    )!;
    const producer = agent.producer();
    await producer.send(TOPICS.samples, [{ key: 'tls-node', value: Buffer.from('{}') }]);
    await producer.close();
    await agent.close();

    const anonymous = kafkaBusFromEnv(env({ SPINWISE_KAFKA_CA_FILE: pki.caFile }), 'tls-anonymous', 2_000)!;
    const refused = anonymous.producer();
    await assert.rejects(refused.send(TOPICS.samples, [{ key: 'tls-node', value: Buffer.from('{}') }]));
    await refused.close().catch(() => undefined);
    await anonymous.close();
  });

  it('a certificate without its key is a configuration error naming both variables', () => {
    assert.throws(
      () => kafkaBusFromEnv(env({ SPINWISE_KAFKA_CERT_FILE: pki.certs['spinwise-agent']!.certFile }), 'x'),
      /SPINWISE_KAFKA_CERT_FILE and SPINWISE_KAFKA_KEY_FILE go together/,
    );
  });
});
