import { spawn, execFileSync, type ChildProcess } from 'node:child_process';
import { accessSync, constants, existsSync, readdirSync, readFileSync } from 'node:fs';
import { connect } from 'node:net';
import { join } from 'node:path';

/** QEMU/KVM guests for the agent's tests and soak run: real vCPU threads, real KVM statistics. */

/** The QEMU the suite installed (scripts/test.mjs), or the one on PATH. */
export const qemuBinary = (): string => process.env.SPINWISE_QEMU ?? 'qemu-system-x86_64';

/** `QEMU emulator version 7.2.22 (Debian …)`: the tests name what they ran against. */
export const qemuVersion = (): string =>
  execFileSync(qemuBinary(), ['--version']).toString().split('\n')[0]!.trim();

/** KVM when /dev/kvm can be opened, else TCG (software): the tests say which. */
export function accelerator(): 'kvm' | 'tcg' {
  try {
    accessSync('/dev/kvm', constants.R_OK | constants.W_OK);
    return 'kvm';
  } catch {
    return 'tcg';
  }
}

export interface GuestOptions {
  dir: string;
  name: string;
  vcpus?: number;
  /** `-name …,debug-threads=on` (default): vCPU threads named `CPU n/KVM`. */
  debugThreads?: boolean;
  /** A QMP monitor at `<dir>/<name>.sock` (default). */
  qmp?: boolean;
  /** `-S`: vCPU threads exist but do not run until `cont`. */
  paused?: boolean;
}

export interface Guest {
  name: string;
  pid: number;
  socket: string | null;
  /** vCPU index → thread id, from /proc (debug-threads) or QMP. */
  vcpuTids: number[];
  stop(): Promise<void>;
}

/** Polls `done` every 25 ms until it holds; fails naming `what` after `timeoutMs`. */
async function pollUntil(what: string, done: () => boolean, timeoutMs: number): Promise<void> {
  for (const deadline = Date.now() + timeoutMs; !done(); await new Promise((r) => setTimeout(r, 25)))
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
}

const running = new Set<ChildProcess>();
process.once('exit', () => {
  for (const child of running) child.kill('SIGKILL');
});

/**
 * A diskless QEMU/KVM guest: the firmware runs (CPU 0 busy for about three seconds, then
 * halted; `qmp(guest, 'system_reset')` makes it busy again), its vCPU threads and KVM
 * statistics are real. Stopped by `stop()`, or at the test process's exit whatever happens.
 */
export async function startGuest(options: GuestOptions): Promise<Guest> {
  const vcpus = options.vcpus ?? 2;
  const socket = options.qmp === false ? null : join(options.dir, `${options.name}.sock`);
  const args = [
    '-accel',
    accelerator(),
    '-smp',
    String(vcpus),
    '-m',
    '64',
    '-display',
    'none',
    '-nodefaults',
    '-no-user-config',
    '-name',
    `guest=${options.name}${options.debugThreads === false ? '' : ',debug-threads=on'}`,
    ...(socket ? ['-qmp', `unix:${socket},server=on,wait=off`] : []),
    ...(options.paused ? ['-S'] : []),
  ];
  const child = spawn(qemuBinary(), args, { stdio: ['ignore', 'ignore', 'pipe'] });
  running.add(child);
  let stderr = '';
  child.stderr!.on('data', (d: Buffer) => (stderr += d.toString()));
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  const pid = child.pid!;
  const stop = async () => {
    running.delete(child);
    if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
    await exited;
  };
  try {
    const namedVcpus = () =>
      readdirSync(`/proc/${pid}/task`)
        .flatMap((tid) => {
          const comm = readFileSync(`/proc/${pid}/task/${tid}/comm`, 'utf8').trim();
          const m = /^CPU (\d+)\/KVM$/.exec(comm);
          return m ? [[Number(m[1]), Number(tid)] as const] : [];
        })
        .sort((a, b) => a[0] - b[0])
        .map(([, tid]) => tid);
    let vcpuTids: number[] = [];
    await pollUntil(
      `guest ${options.name}'s ${vcpus} vCPU threads`,
      () => {
        if (child.exitCode !== null) throw new Error(`qemu exited: ${stderr}`);
        if (!existsSync(`/proc/${pid}/task`) || (socket && !existsSync(socket))) return false;
        // QEMU names a vCPU thread from inside it, just after creating it.
        if (options.debugThreads !== false) return (vcpuTids = namedVcpus()).length === vcpus;
        return readdirSync(`/proc/${pid}/task`).length >= vcpus + 1;
      },
      15_000,
    );
    return { name: options.name, pid, socket, vcpuTids, stop };
  } catch (err) {
    await stop();
    throw err;
  }
}

/** One QMP command on a guest's monitor (after the greeting and capabilities), its `return`. */
export function qmp(guest: Guest, execute: string, args?: object): Promise<unknown> {
  return new Promise((resolve, reject) => {
    const conn = connect(guest.socket!);
    let buffer = '';
    let step = 0;
    conn.on('error', reject);
    conn.on('data', (chunk) => {
      buffer += chunk.toString();
      let nl: number;
      while ((nl = buffer.indexOf('\n')) >= 0) {
        const msg = JSON.parse(buffer.slice(0, nl)) as { event?: string; return?: unknown; error?: unknown };
        buffer = buffer.slice(nl + 1);
        if (msg.event) continue;
        if (msg.error) return reject(new Error(JSON.stringify(msg.error)));
        if (step === 0) conn.write('{"execute":"qmp_capabilities"}\n');
        else if (step === 1)
          conn.write(`${JSON.stringify({ execute, ...(args ? { arguments: args } : {}) })}\n`);
        else {
          conn.end();
          return resolve(msg.return);
        }
        step++;
      }
    });
  });
}
