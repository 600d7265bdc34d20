import { z } from 'zod';
import { agentStatus, finding, observedVm } from './analysis';
import { count, epochMs, finite, LIMITS, name, nodeName, positiveInt, severity } from './primitives';

/**
 * What a node's window showed, published the moment it closes on spinwise.findings.v1 (compacted
 * by node): thresholds crossed, per-VM rates and shares, the agent's state. No model is involved,
 * so alerts and dashboards never wait for one; the window's predictions follow on
 * spinwise.analyses.v1 when the model work gets to them.
 */
export const nodeFindings = z
  .object({
    schema: z.literal('spinwise.findings.v1'),
    node: nodeName,
    windowStartMs: epochMs,
    windowEndMs: epochMs,
    samples: count,
    kernel: z.string().min(1).max(200),
    severity,
    oversubscription: finite.nonnegative(),
    pcpus: positiveInt,
    vms: z.array(observedVm).max(LIMITS.nodeVms),
    findings: z.array(finding),
    replica: name,
    agent: agentStatus,
  })
  .strict();
export type NodeFindings = z.infer<typeof nodeFindings>;
