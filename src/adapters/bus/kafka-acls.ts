import { TOPICS } from '../../telemetry';

/** One ACL grant as Kafka's Admin API and kafka-acls.sh take it (principal left to the caller). */
export interface KafkaGrant {
  resource: 'topic' | 'group';
  /** The resource's name, or its prefix when `prefixed`. */
  name: string;
  prefixed: boolean;
  operations: ('Read' | 'Write' | 'Describe' | 'Create' | 'Delete')[];
}

/** Prefix of every topic spinwise uses. */
export const TOPIC_PREFIX = 'spinwise.';
/** Prefix of every consumer group spinwise uses (the shared one, the leader's, the per-process ones). */
export const GROUP_PREFIX = 'spinwise-';

/**
 * What an agent needs: to send its samples and inventory, nothing else — no topic creation
 * (the advisor creates topics), no reads, no groups. The idempotent producer needs no
 * IdempotentWrite on the cluster since Kafka 3.0 (KIP-679: Write on a topic implies it).
 */
export function agentGrants(): KafkaGrant[] {
  return [TOPICS.samples, TOPICS.inventory].map((name) => ({
    resource: 'topic' as const,
    name,
    prefixed: false,
    operations: ['Write', 'Describe'],
  }));
}

/**
 * What an advisor needs: its topics (create them with their retention or compaction, read,
 * write) and its consumer groups, all under spinwise's prefixes; Delete on the groups removes
 * the per-process ones (fleet view, inventory reader) when a replica stops.
 */
export function advisorGrants(): KafkaGrant[] {
  return [
    {
      resource: 'topic',
      name: TOPIC_PREFIX,
      prefixed: true,
      operations: ['Create', 'Describe', 'Read', 'Write'],
    },
    { resource: 'group', name: GROUP_PREFIX, prefixed: true, operations: ['Read', 'Describe', 'Delete'] },
  ];
}

/** The grants as kafka-acls.sh commands, for an administrator to run. */
export function kafkaAclsCommands(
  principal: string,
  grants: KafkaGrant[],
  bootstrap = '$BOOTSTRAP',
): string[] {
  return grants.map((g) =>
    [
      `kafka-acls.sh --bootstrap-server ${bootstrap} --add --allow-principal ${principal}`,
      ...g.operations.map((o) => `--operation ${o}`),
      `--${g.resource} ${g.name}`,
      ...(g.prefixed ? ['--resource-pattern-type prefixed'] : []),
    ].join(' '),
  );
}
