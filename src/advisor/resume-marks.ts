import { fnv1a } from './fnv1a';

/**
 * How far each node was analysed, kept in the metadata of a partition's offset commit: a replica
 * that takes the partition over re-reads from the committed offset, and these marks tell it which
 * of the re-read samples were already analysed (context for its window, not new work).
 *
 * Compact so that hundreds of nodes fit Kafka's default offset.metadata.max.bytes (4,096): a
 * 32-bit hash of the node name and the sequence number, both base 36, "hash:seq" joined by ",".
 */
const MAX_BYTES = 3_900;

/** FNV-1a of the node name; a collision could only make a replica skip a window, at odds of 1 in 4·10⁹. */
export function nodeKey(node: string): string {
  return fnv1a(node).toString(36);
}

/** Marks in priority order (the caller puts the ones most likely re-read first); what does not fit is left out. */
export function encodeMarks(marks: { node: string; seq: number }[]): { metadata: string; dropped: number } {
  let metadata = '';
  let kept = 0;
  for (const m of marks) {
    const entry = `${kept ? ',' : ''}${nodeKey(m.node)}:${m.seq.toString(36)}`;
    if (metadata.length + entry.length > MAX_BYTES) break;
    metadata += entry;
    kept++;
  }
  return { metadata, dropped: marks.length - kept };
}

/** Marks written by another replica; anything unreadable is ignored (the samples are then analysed again). */
export function decodeMarks(metadata: string | null): Map<string, number> {
  const out = new Map<string, number>();
  for (const entry of (metadata ?? '').split(',')) {
    const [key, seq] = entry.split(':');
    const n = seq === undefined ? NaN : parseInt(seq, 36);
    if (key && Number.isSafeInteger(n)) out.set(key, n);
  }
  return out;
}
