import { createHash } from 'node:crypto';

/**
 * How far each node was analysed, kept in the metadata of a partition's offset commit: a replica
 * that takes the partition over re-reads from the committed offset, and these marks tell it which
 * of the re-read samples were already analysed (context for its window, not new work).
 *
 * Compact so that a couple of hundred nodes fit Kafka's default offset.metadata.max.bytes (4,096):
 * "key:seq" joined by ",", the seq in base 36 and the key 72 bits of the node name's SHA-256 in
 * base64url. A mark says "skip these samples", so a colliding name could hide a victim's samples:
 * a 32-bit hash gave a collision among 739,193 names in 3 s; finding a name that collides with a
 * given one now takes about 2^72 hashes.
 */
const MAX_BYTES = 3_900;

export function nodeKey(node: string): string {
  return createHash('sha256').update(node).digest().subarray(0, 9).toString('base64url');
}

/**
 * Marks in priority order (the caller puts the ones most likely re-read first), by node key; what
 * does not fit is left out.
 */
export function encodeMarks(marks: { key: string; seq: number }[]): { metadata: string; dropped: number } {
  let metadata = '';
  let kept = 0;
  for (const m of marks) {
    const entry = `${kept ? ',' : ''}${m.key}:${m.seq.toString(36)}`;
    if (metadata.length + entry.length > MAX_BYTES) break;
    metadata += entry;
    kept++;
  }
  return { metadata, dropped: marks.length - kept };
}

/**
 * Marks written by another replica. Anything unreadable is ignored, and a key that appears twice
 * is refused altogether (no writer puts one there): in both cases those samples are analysed again,
 * the safe side — a window analysed twice, never one skipped.
 */
export function decodeMarks(metadata: string | null): Map<string, number> {
  const out = new Map<string, number>();
  const refused = new Set<string>();
  for (const entry of (metadata ?? '').split(',')) {
    const [key, seq, extra] = entry.split(':');
    const n = seq === undefined ? NaN : parseInt(seq, 36);
    if (!key || extra !== undefined || !/^[A-Za-z0-9_-]{12}$/.test(key) || !Number.isSafeInteger(n) || n < 0)
      continue;
    if (out.has(key) || refused.has(key)) {
      out.delete(key);
      refused.add(key);
      continue;
    }
    out.set(key, n);
  }
  return out;
}
