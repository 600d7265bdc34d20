import { connect } from 'node:net';

export interface QmpLimits {
  /** The whole session (connect, greeting, every reply) must finish within this. */
  timeoutMs: number;
  /** The longest line (one JSON document) a monitor may send: an endless line is cut here. */
  maxAnswerBytes: number;
}

/** Why one monitor gave no answer, in a few words an operator can act on. */
export class QmpFailure extends Error {}

/** A command the monitor refused (an older QEMU without it): a reply, not the end of the session. */
export class QmpError {
  constructor(readonly desc: string) {}
}

/**
 * One QMP session (docs/interop/qmp-spec): the greeting, `qmp_capabilities`, then `commands` one
 * after another; asynchronous events are skipped. The monitor is another program's and may be
 * anything: a silent peer, one that closes, sends malformed JSON, `null`, or a line without end.
 * A refused command is a `QmpError` among the replies. Each ends the session with a `QmpFailure` at once — never an exception in a
 * socket handler, never a wait past `timeoutMs`, never more than `maxAnswerBytes` held.
 */
export function qmpSession(socketPath: string, commands: object[], limits: QmpLimits): Promise<unknown[]> {
  return new Promise((resolve, reject) => {
    const conn = connect(socketPath);
    const queue = [{ execute: 'qmp_capabilities' }, ...commands];
    const replies: unknown[] = [];
    let greeted = false;
    let pending: Buffer[] = [];
    let pendingBytes = 0;
    let done = false;
    const finish = (err: Error | null) => {
      if (done) return;
      done = true;
      clearTimeout(timer);
      conn.destroy();
      if (err) reject(err);
      else resolve(replies.slice(1));
    };
    const fail = (reason: string) => finish(new QmpFailure(reason));
    const timer = setTimeout(() => fail(`no answer within ${limits.timeoutMs} ms`), limits.timeoutMs);
    conn.on('error', (err: NodeJS.ErrnoException) => fail(err.code ?? err.message));
    conn.on('close', () => fail(greeted ? 'monitor closed the connection' : 'closed before greeting'));
    const handle = (line: string): void => {
      let msg: unknown;
      try {
        msg = JSON.parse(line);
      } catch {
        return fail('malformed JSON from the monitor');
      }
      if (typeof msg !== 'object' || msg === null || Array.isArray(msg))
        return fail('monitor sent something other than a QMP object');
      const m = msg as { QMP?: unknown; event?: unknown; return?: unknown; error?: { desc?: unknown } };
      if (m.event !== undefined) return;
      if (!greeted) {
        if (m.QMP === undefined) return fail('no QMP greeting');
        greeted = true;
      } else if (m.error !== undefined) {
        const desc = m.error.desc;
        replies.push(
          new QmpError((typeof desc === 'string' ? desc : JSON.stringify(desc ?? 'unknown')).slice(0, 80)),
        );
      } else if (!('return' in m)) {
        return fail('QMP reply without "return"');
      } else replies.push(m.return);
      // One command per reply (the greeting counts as the reply to nothing).
      const next = queue[replies.length];
      if (next) conn.write(`${JSON.stringify(next)}\n`);
      else finish(null);
    };
    conn.on('data', (chunk: Buffer) => {
      let start = 0;
      let nl: number;
      while (!done && (nl = chunk.indexOf(0x0a, start)) >= 0) {
        const line = Buffer.concat([...pending, chunk.subarray(start, nl)])
          .toString('utf8')
          .trim();
        pending = [];
        pendingBytes = 0;
        start = nl + 1;
        if (line) handle(line);
      }
      if (done || start >= chunk.length) return;
      pending.push(chunk.subarray(start));
      pendingBytes += chunk.length - start;
      if (pendingBytes > limits.maxAnswerBytes) fail(`answer over ${limits.maxAnswerBytes} bytes`);
    });
  });
}
