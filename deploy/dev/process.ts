import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';

/**
 * Starts a service process in the background with its output in a log file; returns its pid.
 * A throw-away shell starts it, so init adopts and reaps it: a parent that blocks (the test
 * runner in spawnSync) would otherwise keep the stopped service as a zombie that looks alive.
 */
export function startDetached(command: string, args: string[], logFile: string): number {
  const pid = execFileSync('sh', [
    '-c',
    'log="$1"; shift; "$@" >>"$log" 2>&1 </dev/null & echo $!',
    'sh',
    logFile,
    command,
    ...args,
  ])
    .toString()
    .trim();
  if (!/^\d+$/.test(pid)) throw new Error(`could not start ${command}: ${pid}`);
  return Number(pid);
}

export function isAlive(pid: number): boolean {
  try {
    // Field 3 of /proc/<pid>/stat is the state; Z is a zombie that has already exited.
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    return stat.slice(stat.lastIndexOf(')') + 2, stat.lastIndexOf(')') + 3) !== 'Z';
  } catch {
    return false;
  }
}

/** SIGTERM, then SIGKILL after `graceMs`; resolves when the process is gone. */
export async function stopProcess(pid: number, graceMs = 10_000): Promise<void> {
  if (!isAlive(pid)) return;
  process.kill(pid, 'SIGTERM');
  const deadline = Date.now() + graceMs;
  while (isAlive(pid) && Date.now() < deadline) await new Promise((r) => setTimeout(r, 50));
  if (isAlive(pid)) process.kill(pid, 'SIGKILL');
  while (isAlive(pid)) await new Promise((r) => setTimeout(r, 20));
}
