import {
  closeSync,
  existsSync,
  fsyncSync,
  mkdirSync,
  openSync,
  readFileSync,
  readSync,
  renameSync,
  truncateSync,
  writeSync,
} from 'node:fs';
import { join } from 'node:path';

/** One message waiting for the broker. */
export interface SpooledMessage {
  topic: string;
  key: string;
  value: string;
}

interface SpoolState {
  /** Byte offset of the first message not yet acknowledged by the broker. */
  head: number;
  /** The next sample sequence number: survives restarts so (node, seq) stays unique. */
  nextSeq: number;
}

/**
 * An append-only, fsync'd file of JSON lines plus a small state file (head offset, next seq).
 * Survives an agent restart; bounded in bytes: a message that does not fit is refused and counted,
 * never silently lost. A torn last line (crash mid-write) is cut off on open.
 */
export class DiskSpool {
  private readonly file: string;
  private readonly stateFile: string;
  private state: SpoolState = { head: 0, nextSeq: 0 };
  private size = 0;
  dropped = 0;

  constructor(
    readonly dir: string,
    readonly maxBytes: number,
  ) {
    mkdirSync(dir, { recursive: true });
    this.file = join(dir, 'spool.jsonl');
    this.stateFile = join(dir, 'state.json');
    if (existsSync(this.stateFile))
      this.state = JSON.parse(readFileSync(this.stateFile, 'utf8')) as SpoolState;
    if (existsSync(this.file)) {
      const data = readFileSync(this.file);
      const end = data.lastIndexOf(0x0a) + 1;
      if (end < data.length) truncateSync(this.file, end);
      this.size = end;
    }
    if (this.state.head > this.size) this.state.head = this.size;
  }

  get nextSeq(): number {
    return this.state.nextSeq;
  }

  set nextSeq(seq: number) {
    this.state.nextSeq = seq;
    this.saveState();
  }

  /** Bytes waiting to be sent. */
  get pendingBytes(): number {
    return this.size - this.state.head;
  }

  /** Appends what fits and fsyncs; returns how many messages did not fit. */
  append(messages: SpooledMessage[]): number {
    const lines: Buffer[] = [];
    let refused = 0;
    let adding = 0;
    for (const m of messages) {
      const line = Buffer.from(`${JSON.stringify(m)}\n`);
      if (this.pendingBytes + adding + line.length > this.maxBytes) {
        refused++;
        continue;
      }
      lines.push(line);
      adding += line.length;
    }
    if (lines.length > 0) {
      const fd = openSync(this.file, 'a');
      try {
        writeSync(fd, Buffer.concat(lines));
        fsyncSync(fd);
      } finally {
        closeSync(fd);
      }
      this.size += adding;
    }
    this.dropped += refused;
    return refused;
  }

  /** Up to `max` messages from the head, in order, with the bytes each spans. */
  peek(max: number): { messages: SpooledMessage[]; sizes: number[] } {
    if (this.pendingBytes === 0) return { messages: [], sizes: [] };
    const fd = openSync(this.file, 'r');
    try {
      const length = Math.min(this.pendingBytes, 4 * 1024 * 1024);
      const buffer = Buffer.alloc(length);
      const read = readSyncAll(fd, buffer, this.state.head);
      const text = buffer.subarray(0, read).toString('utf8');
      const messages: SpooledMessage[] = [];
      const sizes: number[] = [];
      let start = 0;
      while (messages.length < max) {
        const nl = text.indexOf('\n', start);
        if (nl < 0) break;
        const line = text.slice(start, nl);
        messages.push(JSON.parse(line) as SpooledMessage);
        sizes.push(Buffer.byteLength(line) + 1);
        start = nl + 1;
      }
      return { messages, sizes };
    } finally {
      closeSync(fd);
    }
  }

  /** The broker acknowledged `bytes` from the head; compact once most of the file is sent. */
  commit(bytes: number): void {
    this.state.head += bytes;
    if (this.state.head === this.size || this.state.head > this.maxBytes) this.compact();
    else this.saveState();
  }

  private compact(): void {
    const rest = readFileSync(this.file).subarray(this.state.head);
    const tmp = `${this.file}.tmp`;
    const fd = openSync(tmp, 'w');
    try {
      writeSync(fd, rest);
      fsyncSync(fd);
    } finally {
      closeSync(fd);
    }
    renameSync(tmp, this.file);
    this.size = rest.length;
    this.state.head = 0;
    this.saveState();
  }

  private saveState(): void {
    const tmp = `${this.stateFile}.tmp`;
    const fd = openSync(tmp, 'w');
    try {
      writeSync(fd, JSON.stringify(this.state));
      fsyncSync(fd);
    } finally {
      closeSync(fd);
    }
    renameSync(tmp, this.stateFile);
  }
}

function readSyncAll(fd: number, buffer: Buffer, position: number): number {
  let total = 0;
  while (total < buffer.length) {
    const n = readSync(fd, buffer, total, buffer.length - total, position + total);
    if (n === 0) break;
    total += n;
  }
  return total;
}
