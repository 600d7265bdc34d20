import { z } from 'zod';
import { finding } from './analysis';
import { epochMs, LIMITS, name, nodeName } from './primitives';
import { recommendation } from './recommendation';

/**
 * A node entering or leaving excessive spinning of one kind, after hysteresis, on
 * spinwise.alerts.v1 (compacted, keyed `node/kind`: the newest transition of each is the active
 * set). Every replica follows it, so any replica answers with the fleet's alert history.
 */
export const alertMessage = z
  .object({
    schema: z.literal('spinwise.alert.v1'),
    node: nodeName,
    transition: z.enum(['raised', 'cleared']),
    /** The worst VM's finding (for a clear: as last seen over its threshold). */
    finding,
    /** Every VM over the threshold, worst first. */
    vms: z.array(name).max(LIMITS.nodeVms),
    topRecommendation: recommendation.optional(),
    atMs: epochMs,
    /** The replica whose analysis made the transition. */
    replica: name,
  })
  .strict();
export type AlertMessage = z.infer<typeof alertMessage>;

/** The compaction key: one live transition per node and finding kind. */
export const alertKey = (a: Pick<AlertMessage, 'node' | 'finding'>): string => `${a.node}/${a.finding.kind}`;
