import { connect } from 'node:net';
import { join } from 'node:path';
import type { Missing } from '../../host-root';

/** Per-vCPU KVM statistics from QEMU's `query-stats` (QEMU ≥ 7.1), keyed by vCPU thread id. */
export interface VcpuKvmStats {
  haltExits?: number;
  directedYieldAttempted?: number;
  directedYieldSuccessful?: number;
}

const STATS: [keyof VcpuKvmStats, string][] = [
  ['haltExits', 'halt_exits'],
  ['directedYieldAttempted', 'directed_yield_attempted'],
  ['directedYieldSuccessful', 'directed_yield_successful'],
];

/** One QMP session: greeting, capabilities negotiation, then commands; asynchronous events are skipped. */
async function qmp(socket: string, commands: object[], timeoutMs: number): Promise<unknown[]> {
  return new Promise((resolve, reject) => {
    const conn = connect(socket);
    const replies: unknown[] = [];
    let buffer = '';
    let greeted = false;
    const queue = [{ execute: 'qmp_capabilities' }, ...commands];
    const fail = (err: Error) => {
      conn.destroy();
      reject(err);
    };
    const timer = setTimeout(() => fail(new Error(`no answer within ${timeoutMs} ms`)), timeoutMs);
    conn.setEncoding('utf8');
    conn.on('error', fail);
    conn.on('data', (chunk: string) => {
      buffer += chunk;
      let nl: number;
      while ((nl = buffer.indexOf('\n')) >= 0) {
        const line = buffer.slice(0, nl).trim();
        buffer = buffer.slice(nl + 1);
        if (!line) continue;
        const msg = JSON.parse(line) as {
          QMP?: unknown;
          event?: string;
          return?: unknown;
          error?: { desc: string };
        };
        if (msg.event) continue;
        if (msg.error) return fail(new Error(`QMP error: ${msg.error.desc}`));
        if (msg.QMP) greeted = true;
        else if (greeted) replies.push(msg.return);
        const sent = replies.length + (greeted ? 1 : 0);
        if (sent > queue.length) {
          clearTimeout(timer);
          conn.end();
          return resolve(replies.slice(1));
        }
        conn.write(`${JSON.stringify(queue[sent - 1])}\n`);
      }
    });
  });
}

/** Reads every VM's QMP socket `<dir>/<domain>.sock`; a VM without one is reported, not guessed. */
export async function collectQmpStats(
  dir: string | undefined,
  vmNames: string[],
  timeoutMs = 2000,
): Promise<{ byTid: Map<number, VcpuKvmStats>; errors: number; missing: Missing[] }> {
  const byTid = new Map<number, VcpuKvmStats>();
  if (!dir)
    return {
      byTid,
      errors: 0,
      missing: [{ signal: 'qmpStats', reason: 'no QMP socket directory configured (--qmp-socket-dir)' }],
    };
  const failed: string[] = [];
  let errors = 0;
  for (const name of vmNames) {
    try {
      const [cpus, stats] = (await qmp(
        join(dir, `${name}.sock`),
        [
          { execute: 'query-cpus-fast' },
          { execute: 'query-stats', arguments: { target: 'vcpu', providers: [{ provider: 'kvm' }] } },
        ],
        timeoutMs,
      )) as [
        { 'qom-path': string; 'thread-id': number }[],
        { 'qom-path': string; stats: { name: string; value: number }[] }[],
      ];
      const tidOfPath = new Map(cpus.map((c) => [c['qom-path'], c['thread-id']]));
      for (const entry of stats) {
        const tid = tidOfPath.get(entry['qom-path']);
        if (tid === undefined) continue;
        const out: VcpuKvmStats = byTid.get(tid) ?? {};
        for (const [key, stat] of STATS) {
          const value = entry.stats.find((s) => s.name === stat)?.value;
          if (typeof value === 'number') out[key] = value;
        }
        byTid.set(tid, out);
      }
    } catch (err) {
      errors++;
      failed.push(`${name}: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}`);
    }
  }
  const missing: Missing[] = failed.length
    ? [{ signal: 'qmpStats', reason: `QMP unavailable for ${failed.join('; ')}` }]
    : [];
  return { byTid, errors, missing };
}
