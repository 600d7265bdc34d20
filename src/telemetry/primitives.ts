import { z } from 'zod';

/** Shared building blocks of the wire schemas. */

/** A non-negative counter or duration; every counter on the wire is a delta or a size, never negative. */
export const count = z.number().int().nonnegative().max(Number.MAX_SAFE_INTEGER);
export const positiveInt = z.number().int().positive().max(Number.MAX_SAFE_INTEGER);
/** Milliseconds since the Unix epoch. */
export const epochMs = z.number().int().nonnegative().max(Number.MAX_SAFE_INTEGER);
export const finite = z.number().finite();
/** A Kubernetes node name (DNS-1123 subdomain). */
export const nodeName = z
  .string()
  .min(1)
  .max(253)
  .regex(/^[a-z0-9]([-a-z0-9.]*[a-z0-9])?$/, 'a DNS-1123 name (lower-case letters, digits, "-" and ".")');
export const name = z.string().min(1).max(253);

export const severity = z.enum(['ok', 'info', 'warning', 'critical']);
export type Severity = z.infer<typeof severity>;

/** A relative change as a fraction (−0.7 = 70 % fewer) with the half-width of its 95 % interval. */
export const predictedChange = z
  .object({
    change: finite,
    ci95: finite.nonnegative(),
  })
  .strict();

/**
 * Bounds on the arrays a producer may send, from real hardware, so that a forged or broken
 * message cannot grow the advisor's memory or its series without limit:
 * - CPUs of a host: Linux's x86 NR_CPUS maximum is 8,192.
 * - vCPUs of one VM: KVM_MAX_VCPUS is 4,096 on x86 (Linux ≥ 5.15; 1,024 before); also the most
 *   IPI destinations one vCPU can have.
 * - vCPU threads of a node: 16,384, twice the largest host's CPUs at 8:1 overcommit (768-thread
 *   dual-socket servers ship today; 8:1 is beyond what any operator runs for latency-bound VMs).
 * - VMs of a node: 4,096 (KubeVirt's default is 110 pods a node; libvirt hosts run more).
 * - Missing signals: one per kind, at most 32 kinds.
 */
export const LIMITS = {
  hostCpus: 8_192,
  vmVcpus: 4_096,
  nodeVcpus: 16_384,
  nodeVms: 4_096,
  missingSignals: 32,
} as const;
