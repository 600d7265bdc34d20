import { Command, Option } from 'commander';
import { stringify } from 'yaml';
import { advisorGrants, agentGrants, kafkaAclsCommands, type KafkaGrant } from '../adapters/bus/kafka-acls';
import { topicConfig } from '../adapters/bus/kafka-bus';
import { defaultTopicSpecs } from '../telemetry';
import type { CliIo } from './cli-error';

interface KafkaSetupOptions {
  agentPrincipal: string;
  advisorPrincipal: string;
  bootstrap: string;
  replication: number;
  format: 'shell' | 'strimzi';
  strimziCluster: string;
  strimziAuthentication: 'scram-sha-512' | 'tls';
}

/**
 * `spinwise kafka-setup`: what an administrator runs once on a Kafka with authorisation on — the
 * topics with their retention or compaction, and the narrow grants of agents and advisors — as
 * kafka-topics.sh/kafka-acls.sh commands or as Strimzi KafkaTopic and KafkaUser resources.
 */
export function kafkaSetupCommand(io: CliIo): Command {
  return new Command('kafka-setup')
    .description("print the topics and the agents' and advisors' ACLs for a Kafka with authorisation on")
    .option('--agent-principal <principal>', "the agents' principal", 'User:spinwise-agent')
    .option('--advisor-principal <principal>', "the advisors' principal", 'User:spinwise-advisor')
    .option('--bootstrap <host:port>', 'bootstrap server in the commands', '$BOOTSTRAP')
    .addOption(
      new Option('--replication <n>', 'replication factor of the topics').argParser(Number).default(3),
    )
    .addOption(
      new Option('--format <format>', 'shell commands or Strimzi resources')
        .choices(['shell', 'strimzi'])
        .default('shell'),
    )
    .option(
      '--strimzi-cluster <name>',
      'with --format strimzi: the Kafka cluster (strimzi.io/cluster)',
      'kafka',
    )
    .addOption(
      new Option('--strimzi-authentication <type>', 'with --format strimzi: how the users authenticate')
        .choices(['scram-sha-512', 'tls'])
        .default('scram-sha-512'),
    )
    .addHelpText(
      'after',
      '\nExamples:\n  spinwise kafka-setup --bootstrap kafka:9092 | sh\n  spinwise kafka-setup --format strimzi --strimzi-cluster my-cluster | kubectl apply -n kafka -f -',
    )
    .action((options: KafkaSetupOptions) =>
      io.out(options.format === 'strimzi' ? strimzi(options) : shell(options)),
    );
}

function shell(o: KafkaSetupOptions): string {
  const topics = defaultTopicSpecs().map((t) =>
    [
      `kafka-topics.sh --bootstrap-server ${o.bootstrap} --create --if-not-exists --topic ${t.name}`,
      `--partitions ${t.partitions} --replication-factor ${o.replication}`,
      ...topicConfig(t).map((c) => `--config ${c.name}=${c.value}`),
    ].join(' '),
  );
  return [
    '# spinwise topics (the advisor creates them too when it may)',
    ...topics,
    '# agents: send samples and inventory; nothing else',
    ...kafkaAclsCommands(o.agentPrincipal, agentGrants(), o.bootstrap),
    '# advisors: their topics and consumer groups',
    ...kafkaAclsCommands(o.advisorPrincipal, advisorGrants(), o.bootstrap),
    '',
  ].join('\n');
}

/** A principal `User:name` is Strimzi's KafkaUser `name`. */
const userName = (principal: string) => principal.replace(/^User:/, '');

function strimzi(o: KafkaSetupOptions): string {
  const labels = { 'strimzi.io/cluster': o.strimziCluster };
  const acls = (grants: KafkaGrant[]) =>
    grants.map((g) => ({
      resource: { type: g.resource, name: g.name, patternType: g.prefixed ? 'prefix' : 'literal' },
      operations: g.operations,
    }));
  const docs = [
    ...defaultTopicSpecs().map((t) => ({
      apiVersion: 'kafka.strimzi.io/v1beta2',
      kind: 'KafkaTopic',
      metadata: { name: t.name.replace(/\./g, '-'), labels },
      spec: {
        topicName: t.name,
        partitions: t.partitions,
        replicas: o.replication,
        config: Object.fromEntries(topicConfig(t).map((c) => [c.name, c.value])),
      },
    })),
    ...[[o.agentPrincipal, agentGrants()] as const, [o.advisorPrincipal, advisorGrants()] as const].map(
      ([principal, grants]) => ({
        apiVersion: 'kafka.strimzi.io/v1beta2',
        kind: 'KafkaUser',
        metadata: { name: userName(principal), labels },
        spec: {
          authentication: { type: o.strimziAuthentication },
          authorization: { type: 'simple', acls: acls(grants) },
        },
      }),
    ),
  ];
  return docs.map((d) => stringify(d)).join('---\n');
}
