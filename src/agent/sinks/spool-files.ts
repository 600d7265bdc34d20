import {
  closeSync,
  fstatSync,
  ftruncateSync,
  existsSync,
  fsyncSync,
  openSync,
  readdirSync,
  readSync,
  renameSync,
  rmSync,
  writeSync,
} from 'node:fs';
import { join } from 'node:path';

// The spool's files: the fixed-size state file, line scanning, and reading and writing at offsets.

/** One message waiting for the broker. */
export interface SpooledMessage {
  topic: string;
  key: string;
  value: string;
}

/**
 * The state file (head offset, next sequence number, which file generation) is written in place
 * at a fixed size: a rename needs a new inode and block, which a full disk refuses; overwriting
 * the same bytes of an existing file does not, so the sequence number advances on a full disk.
 */
export const STATE_BYTES = 96;
export interface State {
  head: number;
  nextSeq: number;
  /** The spool file's generation: compaction writes the next one, then switches the state to it. */
  gen: number;
}

export interface Line {
  offset: number;
  bytes: number;
  /** `topic\0key` of a line whose topic keeps its newest message, else null. */
  kept: string | null;
}

export const fileOf = (gen: number) => (gen === 0 ? 'spool.jsonl' : `spool.${gen}.jsonl`);

/** The state, null when absent, 'corrupt' when it does not parse (empty, garbage). */
export function readState(statePath: string): State | null | 'corrupt' {
  if (!existsSync(statePath)) return null;
  try {
    const fd = openSync(statePath, 'r');
    try {
      const text = readRange(fd, 0, STATE_BYTES * 2)
        .toString('utf8')
        .trim();
      const s = JSON.parse(text) as Partial<State>;
      const ok = (v: unknown): v is number => Number.isSafeInteger(v) && (v as number) >= 0;
      if (!ok(s.head) || !ok(s.nextSeq)) return 'corrupt';
      return { head: s.head, nextSeq: s.nextSeq, gen: ok(s.gen) ? s.gen : 0 };
    } finally {
      closeSync(fd);
    }
  } catch {
    return 'corrupt';
  }
}

/** Writes the state in place, at its fixed size, and fsyncs it; throws what the disk refuses. */
export function writeState(statePath: string, state: State): void {
  const bytes = Buffer.alloc(STATE_BYTES, ' ');
  bytes.write(JSON.stringify(state), 0, 'utf8');
  bytes[STATE_BYTES - 1] = 0x0a;
  const fd = openSync(statePath, existsSync(statePath) ? 'r+' : 'w');
  try {
    writeAll(fd, bytes, 0);
    fsyncSync(fd);
  } finally {
    closeSync(fd);
  }
}

/** Line boundaries of the file, read in chunks: memory grows with lines, not bytes. */
function scanLines(fd: number, length: number, keepNewestOf: ReadonlySet<string>): Line[] {
  const lines: Line[] = [];
  const chunk = Buffer.alloc(1 << 20);
  let start = 0;
  for (let pos = 0; pos < length;) {
    const n = readSync(fd, chunk, 0, Math.min(chunk.length, length - pos), pos);
    if (n === 0) break;
    for (let at = 0, nl; (nl = chunk.indexOf(0x0a, at)) >= 0 && nl < n; at = nl + 1) {
      const end = pos + nl + 1;
      lines.push({ offset: start, bytes: end - start, kept: null });
      start = end;
    }
    pos += n;
  }
  for (const line of lines)
    line.kept = keptKeyOf(keepNewestOf, readRange(fd, line.offset, Math.min(line.bytes, 512)));
  return lines;
}

export function parseLine(line: Buffer): SpooledMessage | null {
  try {
    const m = JSON.parse(line.toString('utf8')) as Partial<SpooledMessage>;
    return typeof m.topic === 'string' && typeof m.key === 'string' && typeof m.value === 'string'
      ? { topic: m.topic, key: m.key, value: m.value }
      : null;
  } catch {
    return null;
  }
}

/** The highest sample seq in spooled bytes, -1 for none (its lines' values are JSON strings: `\"seq\":N`). */
export function highestSeq(bytes: Buffer): number {
  let highest = -1;
  for (const m of bytes.toString('latin1').matchAll(/\\"seq\\":(\d+)/g))
    highest = Math.max(highest, Number(m[1]));
  return highest;
}

/** The highest sample seq a spool file holds. */
function highestSeqIn(path: string): number {
  let highest = -1;
  const fd = openSync(path, 'r');
  try {
    const chunk = Buffer.alloc(1 << 20);
    for (let pos = 0, n; (n = readSync(fd, chunk, 0, chunk.length, pos)) > 0; pos += n)
      highest = Math.max(highest, highestSeq(chunk.subarray(0, n)));
  } finally {
    closeSync(fd);
  }
  return highest;
}

export function readRange(fd: number, offset: number, bytes: number): Buffer {
  const buffer = Buffer.alloc(bytes);
  let total = 0;
  while (total < bytes) {
    const n = readSync(fd, buffer, total, bytes - total, offset + total);
    if (n === 0) break;
    total += n;
  }
  return buffer.subarray(0, total);
}

export function writeAll(fd: number, data: Buffer, position?: number): void {
  for (let done = 0; done < data.length;)
    done += writeSync(fd, data, done, data.length - done, position === undefined ? null : position + done);
}

/**
 * Renames the spool's files `*.corrupt-<stamp>` and deletes the copies of all but the newest
 * `keep` stamps; returns the highest sample seq the set-aside files held (-1: none).
 */
export function setAside(dir: string, stamp: number, keep: number): number {
  let highest = -1;
  for (const f of readdirSync(dir)) {
    if (!/^(spool(\.\d+)?\.jsonl|state\.json)$/.test(f)) continue;
    if (f !== 'state.json') highest = Math.max(highest, highestSeqIn(join(dir, f)));
    renameSync(join(dir, f), join(dir, `${f}.corrupt-${stamp}`));
  }
  const copies = readdirSync(dir)
    .filter((f) => /\.corrupt-\d+$/.test(f))
    .sort((a, b) => Number(b.split('-').pop()) - Number(a.split('-').pop()));
  const stamps = [...new Set(copies.map((f) => f.split('-').pop()))];
  for (const old of copies.filter((f) => !stamps.slice(0, keep).includes(f.split('-').pop())))
    rmSync(join(dir, old), { force: true });
  return highest;
}

/** `topic\0key` when the line's topic keeps its newest message (JSON.stringify writes topic and key first). */
export function keptKeyOf(keepNewestOf: ReadonlySet<string>, start: Buffer): string | null {
  const m = /^\{"topic":"([^"\\]*)","key":"((?:[^"\\]|\\.)*)"/.exec(start.toString('utf8'));
  return m && keepNewestOf.has(m[1]!) ? `${m[1]}\0${m[2]}` : null;
}

/** The file's whole lines, and its size once a torn last line (a crash mid-write, never acknowledged as spooled) is cut off. */
export function openLines(file: string, keepNewestOf: ReadonlySet<string>): { lines: Line[]; size: number } {
  const fd = openSync(file, 'r+');
  try {
    const length = fstatSync(fd).size;
    const lines = scanLines(fd, length, keepNewestOf);
    const end = lines.length ? lines[lines.length - 1]!.offset + lines[lines.length - 1]!.bytes : 0;
    if (end < length) ftruncateSync(fd, end);
    return { lines, size: end };
  } finally {
    closeSync(fd);
  }
}
