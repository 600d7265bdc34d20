/** Kafka topic names of the wire contract. The version suffix changes when a schema does. */
export const TOPICS = {
  samples: 'spinwise.samples.v1',
  inventory: 'spinwise.inventory.v1',
  analyses: 'spinwise.analyses.v1',
  recommendations: 'spinwise.recommendations.v1',
  deadLetter: 'spinwise.deadletter.v1',
  alerts: 'spinwise.alerts.v1',
  findings: 'spinwise.findings.v1',
} as const;

export type TopicName = (typeof TOPICS)[keyof typeof TOPICS];

export interface TopicSpec {
  name: string;
  partitions: number;
  /** Keep only the newest message per key (Kafka `cleanup.policy=compact`). */
  compacted: boolean;
  /** How long a message is kept (`retention.ms`) on a topic that is not compacted; absent: the broker's default. */
  retentionMs?: number;
}

const DAY_MS = 86_400_000;

/**
 * Every message is keyed by node name, so a node's data stays ordered on one partition
 * and one advisor replica owns it; the partition count bounds how many replicas can share work.
 */
export function defaultTopicSpecs(partitions = 12): TopicSpec[] {
  return [
    // A day: the advisor reads samples within seconds; a day bridges an outage of the advisors.
    { name: TOPICS.samples, partitions, compacted: false, retentionMs: DAY_MS },
    { name: TOPICS.inventory, partitions, compacted: true },
    // Compacted: a replica that starts reads every node's newest analysis, not the whole history.
    { name: TOPICS.analyses, partitions, compacted: true },
    // The cluster planner's leader reads one ordered stream of recommendations.
    { name: TOPICS.recommendations, partitions: 1, compacted: false, retentionMs: 7 * DAY_MS },
    // Two weeks to read why a message was refused.
    { name: TOPICS.deadLetter, partitions: 1, compacted: false, retentionMs: 14 * DAY_MS },
    { name: TOPICS.alerts, partitions: 1, compacted: true },
    // Compacted: each node's newest findings, for every replica's fleet view.
    { name: TOPICS.findings, partitions, compacted: true },
  ];
}
