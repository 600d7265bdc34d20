import {
  closeSync,
  existsSync,
  ftruncateSync,
  fsyncSync,
  mkdirSync,
  openSync,
  readdirSync,
  readSync,
  rmSync,
} from 'node:fs';
import { join } from 'node:path';
import {
  fileOf,
  keptKeyOf,
  setAside,
  parseLine,
  highestSeq,
  readRange,
  readState,
  openLines,
  writeAll,
  writeState,
  type Line,
  type SpooledMessage,
  type State,
} from './spool-files';

export interface SpoolOptions {
  /**
   * Topics whose newest message per key is kept when the spool must make room (the inventory: a
   * compacted topic, where only the newest counts); every other message is dropped oldest first.
   */
  keepNewestOf?: ReadonlySet<string>;
  /** Wall clock for quarantine names and the sequence floor. */
  now?: () => number;
}

/** When full, free this share of the bound beyond what is needed, so room is made rarely. */
const ROOM_SLACK = 0.1;
/** Messages held in memory while the disk refuses writes, at most (the chart's agent has 256 MiB). */
const MEMORY_MAX_BYTES = 16 << 20;
/** Quarantined spools kept for an operator to look at; older ones are deleted. */
const QUARANTINE_KEEP = 2;

/**
 * An append-only, fsync'd file of JSON lines plus a small state file. It survives an agent
 * restart and its disk:
 * - bounded in bytes: when full, the oldest messages are dropped (samples; the newest inventory
 *   is kept), counted and the reason kept — never the newest;
 * - a disk that refuses writes (full, read-only) turns it into a bounded memory queue behind the
 *   file's messages, and the disk is tried again once that queue has drained;
 * - a torn last line (crash mid-write) is cut off on open; a state file that does not parse or
 *   whose head is inside a line quarantines the spool (renamed, counted, noticed once) and a
 *   fresh one starts with a sequence number above anything the old one held; a line that does
 *   not parse is skipped and counted;
 * - lines of any size up to the bound drain (each is read at its own length).
 */
export class DiskSpool {
  private readonly statePath: string;
  private readonly options: Required<SpoolOptions>;
  private state: State = { head: 0, nextSeq: 0, gen: 0 };
  private size = 0;
  /** The pending lines of the file, oldest first; lines[0] starts at the head. */
  private lines: Line[] = [];
  /** Messages the disk refused, after the file's. */
  private memory: Buffer[] = [];
  private memoryBytes = 0;
  /** Messages handed out by `peek` and not yet committed or released. */
  private inflight = 0;
  dropped = 0;
  dropReason: string | null = null;
  quarantined = 0;
  /** The disk's refusal (errno) while it refuses writes, else null. */
  diskError: string | null = null;
  /** What an operator should read once (quarantine, the disk refusing and recovering); the sink logs them. */
  readonly notices: string[] = [];

  constructor(
    readonly dir: string,
    readonly maxBytes: number,
    options: SpoolOptions = {},
  ) {
    this.options = { keepNewestOf: options.keepNewestOf ?? new Set(), now: options.now ?? Date.now };
    this.statePath = join(dir, 'state.json');
    try {
      mkdirSync(dir, { recursive: true });
      this.open();
    } catch (err) {
      this.refuseDisk(err);
    }
  }

  private get file(): string {
    return join(this.dir, fileOf(this.state.gen));
  }

  get nextSeq(): number {
    return this.state.nextSeq;
  }

  set nextSeq(seq: number) {
    this.state.nextSeq = seq;
    this.saveState();
  }

  /** Messages waiting in memory because the disk refused them: lost if the agent stops before the broker takes them. */
  get heldInMemory(): number {
    return this.memory.length;
  }

  /** Bytes waiting to be sent (file and memory). */
  get pendingBytes(): number {
    return this.size - this.state.head + this.memoryBytes;
  }

  /** Appends every message, making room by dropping the oldest; returns how many were dropped. */
  append(messages: SpooledMessage[]): number {
    const before = this.dropped;
    const fresh: Buffer[] = [];
    for (const m of messages) {
      const line = Buffer.from(`${JSON.stringify(m)}\n`);
      if (line.length > this.maxBytes)
        this.drop(1, `a message of ${line.length} bytes is over the spool's bound`);
      else fresh.push(line);
    }
    if (fresh.length > 0) {
      if (this.memory.length === 0) this.writeToFile(fresh);
      else if (this.inflight <= this.lines.length) {
        // The disk refused before: try it again with what waits in memory first (order kept).
        const waiting = this.memory;
        this.memory = [];
        this.memoryBytes = 0;
        this.writeToFile([...waiting, ...fresh]);
      } else this.toMemory(fresh);
      this.enforceBound();
    }
    return this.dropped - before;
  }

  /** Up to `max` messages from the head, in order, with the bytes each spans; in flight until committed or released. */
  peek(max: number): { messages: SpooledMessage[]; sizes: number[] } {
    const messages: SpooledMessage[] = [];
    const sizes: number[] = [];
    const fd = this.lines.length ? openSync(this.file, 'r') : null;
    try {
      let i = 0;
      let m = 0;
      while (messages.length < max) {
        const raw =
          i < this.lines.length
            ? readRange(fd!, this.lines[i]!.offset, this.lines[i]!.bytes)
            : this.memory[m];
        if (!raw) break;
        const message = parseLine(raw);
        if (message) {
          messages.push(message);
          sizes.push(raw.length);
        } else if (messages.length === 0) {
          // A line that does not parse can never be sent: drop it for good and look again.
          this.removeHead(1);
          this.drop(1, 'a spool line that does not parse (corrupted on disk)');
          continue;
        } else break; // sent first what precedes it; it is dropped when it reaches the head
        if (i < this.lines.length) i++;
        else m++;
      }
    } finally {
      if (fd !== null) closeSync(fd);
    }
    this.inflight = messages.length;
    return { messages, sizes };
  }

  /** The broker acknowledged the first `count` peeked messages. */
  commit(count: number): void {
    this.inflight = 0;
    this.removeHead(count);
    this.enforceBound();
  }

  /** The send failed: what was peeked stays first in line. */
  release(): void {
    this.inflight = 0;
    this.enforceBound();
  }

  /** Counts `count` messages lost and why (also those the broker refuses for good). */
  drop(count: number, reason: string): void {
    this.dropped += count;
    this.dropReason = reason;
  }

  // ---- opening and quarantine ----

  private open(): void {
    const state = readState(this.statePath);
    if (state === 'corrupt') return this.quarantine('its state file does not parse');
    if (state) this.state = state;
    for (const f of readdirSync(this.dir))
      if (/^spool(\.\d+)?\.jsonl$/.test(f) && f !== fileOf(this.state.gen))
        rmSync(join(this.dir, f), { force: true });
    if (!existsSync(this.file)) {
      if (this.state.head > 0) return this.quarantine('its file is gone');
      return;
    }
    const { lines, size } = openLines(this.file, this.options.keepNewestOf);
    this.size = size;
    if (this.state.head > 0 && !lines.some((l) => l.offset + l.bytes === this.state.head))
      return this.quarantine('its head offset is not at a line boundary');
    this.lines = lines.filter((l) => l.offset >= this.state.head);
    // The agent claims a seq (saves nextSeq) only after its sample is spooled, so a kill between
    // the two leaves a sample newer than the state says: number on above it, never reuse its seq.
    this.state.nextSeq = Math.max(this.state.nextSeq, this.newestPendingSeq() + 1);
  }

  /**
   * The seq of the newest pending sample (-1: none). Samples are spooled in seq order, and one
   * spooled but not yet claimed cannot have been sent (a send is acknowledged on a later tick than
   * the claim), so it is the last pending line that carries a seq.
   */
  private newestPendingSeq(): number {
    const fd = this.lines.length ? openSync(this.file, 'r') : null;
    try {
      for (let i = this.lines.length - 1; i >= 0; i--) {
        const { offset, bytes } = this.lines[i]!;
        const seq = highestSeq(readRange(fd!, offset, bytes));
        if (seq >= 0) return seq;
      }
      return -1;
    } finally {
      if (fd !== null) closeSync(fd);
    }
  }

  /**
   * Moves the spool aside and starts afresh. The sequence number must not go back (the advisor
   * takes a seq it has seen for a duplicate), so it starts above the highest the old spool holds
   * and no lower than the wall clock in seconds, which no agent sampling at most once a second
   * has reached.
   */
  private quarantine(why: string): void {
    const stamp = this.options.now();
    const highest = setAside(this.dir, stamp, QUARANTINE_KEEP);
    this.quarantined++;
    this.size = 0;
    this.lines = [];
    this.state = { head: 0, nextSeq: Math.max(highest + 1, Math.floor(stamp / 1000)), gen: 0 };
    this.notices.push(
      `spool quarantined (${why}): renamed *.corrupt-${stamp}; a fresh one starts at seq ${this.state.nextSeq}`,
    );
    this.saveState();
  }

  // ---- writing ----

  private writeToFile(fresh: Buffer[]): void {
    let fd: number | null = null;
    try {
      fd = openSync(this.file, 'a');
      writeAll(fd, Buffer.concat(fresh));
      fsyncSync(fd);
    } catch (err) {
      // Cut what a partial write left; the messages wait in memory instead.
      if (fd !== null) {
        try {
          ftruncateSync(fd, this.size);
        } catch {
          // the next open cuts a torn line
        }
      }
      this.refuseDisk(err);
      this.toMemory(fresh);
      return;
    } finally {
      if (fd !== null) closeSync(fd);
    }
    for (const line of fresh) {
      this.lines.push({
        offset: this.size,
        bytes: line.length,
        kept: keptKeyOf(this.options.keepNewestOf, line.subarray(0, 512)),
      });
      this.size += line.length;
    }
    if (this.diskError) {
      this.notices.push(`spool disk takes writes again (it refused with ${this.diskError})`);
      this.diskError = null;
    }
  }

  private refuseDisk(err: unknown): void {
    const code = (err as NodeJS.ErrnoException).code ?? (err as Error).message;
    if (this.diskError !== code)
      this.notices.push(`spool disk refuses writes (${code}): messages wait in memory`);
    this.diskError = code;
  }

  private toMemory(fresh: Buffer[]): void {
    for (const line of fresh) {
      this.memory.push(line);
      this.memoryBytes += line.length;
    }
    let dropped = 0;
    while (this.memoryBytes > MEMORY_MAX_BYTES && this.memory.length > this.inflight + 1) {
      this.memoryBytes -= this.memory.splice(this.inflight, 1)[0]!.length;
      dropped++;
    }
    if (dropped)
      this.drop(dropped, `spool disk refuses writes (${this.diskError}) and the memory queue is full`);
  }

  /** Removes `count` messages from the head: the file's first, then memory's. */
  private removeHead(count: number): void {
    for (let i = 0; i < count; i++) {
      const line = this.lines.shift();
      if (line) this.state.head = line.offset + line.bytes;
      else this.memoryBytes -= this.memory.shift()?.length ?? 0;
    }
    if (this.state.head === this.size && this.size > 0) this.compact();
    else if (this.state.head > this.maxBytes) this.compact();
    this.saveState();
  }

  /**
   * Keeps pending bytes within the bound: drops the oldest messages not in flight, except the
   * newest message of each kept topic and key, which goes back behind the rest.
   */
  private enforceBound(): void {
    if (this.pendingBytes <= this.maxBytes || this.inflight > 0) return;
    const target = this.maxBytes * (1 - ROOM_SLACK);
    const newest = new Set<number>();
    const seen = new Set<string>();
    for (let i = this.lines.length - 1; i >= 0; i--) {
      const l = this.lines[i]!;
      if (l.kept && !seen.has(l.kept)) {
        seen.add(l.kept);
        newest.add(l.offset);
      }
    }
    const keepers: Buffer[] = [];
    let dropped = 0;
    const fd = this.lines.length ? openSync(this.file, 'r') : null;
    try {
      while (this.pendingBytes > target && this.lines.length) {
        const line = this.lines.shift()!;
        this.state.head = line.offset + line.bytes;
        if (newest.has(line.offset)) keepers.push(readRange(fd!, line.offset, line.bytes));
        else dropped++;
      }
    } finally {
      if (fd !== null) closeSync(fd);
    }
    while (this.pendingBytes > target && this.memory.length > 1) {
      this.memoryBytes -= this.memory.shift()!.length;
      dropped++;
    }
    if (dropped) this.drop(dropped, `spool full (${this.maxBytes} bytes): the oldest samples dropped`);
    if (keepers.length) this.writeToFile(keepers);
    if (this.state.head > this.maxBytes || this.state.head === this.size) this.compact();
    this.saveState();
  }

  /**
   * Writes what is pending into the next generation's file and switches the state to it; the
   * old file goes only after the state says so, so a crash anywhere leaves one consistent pair.
   * On a disk that refuses, the file just stays longer.
   */
  private compact(): void {
    if (this.inflight > 0 || this.state.head === 0) return;
    const old = this.file;
    const gen = this.state.gen + 1;
    const next = join(this.dir, fileOf(gen));
    try {
      const src = openSync(old, 'r');
      const dst = openSync(next, 'w');
      try {
        const chunk = Buffer.alloc(1 << 20);
        for (let pos = this.state.head; pos < this.size;) {
          const n = readSync(src, chunk, 0, Math.min(chunk.length, this.size - pos), pos);
          if (n === 0) break;
          writeAll(dst, chunk.subarray(0, n));
          pos += n;
        }
        fsyncSync(dst);
      } finally {
        closeSync(src);
        closeSync(dst);
      }
    } catch (err) {
      rmSync(next, { force: true });
      this.refuseDisk(err);
      return;
    }
    const shift = this.state.head;
    this.state = { ...this.state, head: 0, gen };
    if (!this.saveState()) {
      this.state = { ...this.state, head: shift, gen: gen - 1 };
      rmSync(next, { force: true });
      return;
    }
    rmSync(old, { force: true });
    for (const line of this.lines) line.offset -= shift;
    this.size -= shift;
  }

  /** Writes the state in place; false (and the disk's refusal noted) when the disk refuses. */
  private saveState(): boolean {
    try {
      writeState(this.statePath, this.state);
      return true;
    } catch (err) {
      this.refuseDisk(err);
      return false;
    }
  }
}
