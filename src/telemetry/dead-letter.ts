import { z } from 'zod';
import { epochMs } from './primitives';

/** What a consumer could not use: where it came from, why, and the original bytes untouched. */
export const deadLetter = z
  .object({
    schema: z.literal('spinwise.deadletter.v1'),
    sourceTopic: z.string().min(1),
    partition: z.number().int().nonnegative(),
    offset: z.string().regex(/^\d+$/, 'a decimal offset'),
    key: z.string().nullable(),
    reason: z.string().min(1),
    valueBase64: z.string(),
    failedAtMs: epochMs,
  })
  .strict();
export type DeadLetter = z.infer<typeof deadLetter>;
