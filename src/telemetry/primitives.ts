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
