import { readdirSync, readFileSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { SignalName } from '../telemetry';

/**
 * A file or directory the agent could not read for another reason than its absence: a security
 * module's EACCES/EPERM (SELinux, AppArmor, lockdown on debugfs), EIO, EINVAL. Collectors catch
 * it and report the signal missing with `code`; it never reaches the agent's loop.
 */
export class Unreadable extends Error {
  constructor(
    readonly code: string,
    readonly path: string,
  ) {
    super(`${code} on ${path}`);
  }
}

/** Absent, not unreadable: the file or the process it belonged to is gone (or never was). */
const ABSENT = new Set(['ENOENT', 'ESRCH', 'ENOTDIR']);

const unreadable = (err: unknown, path: string) =>
  new Unreadable((err as NodeJS.ErrnoException).code ?? 'EIO', path);

/** Reads the host's files under a root (`/`, or `/host` inside a DaemonSet pod, or a simulated tree). */
export class HostRoot {
  constructor(readonly dir: string) {}

  path(...parts: string[]): string {
    return join(this.dir, ...parts);
  }

  /** The path as the host names it, for reasons: `/proc/42/cmdline`, not `/host/proc/42/cmdline`. */
  hostPath(...parts: string[]): string {
    return join('/', ...parts);
  }

  /**
   * File text, or null when it does not exist; any other error is an `Unreadable`. Read
   * synchronously: the kernel's procfs, sysfs, debugfs and tracefs files are generated in
   * memory without sleeping locks, and one synchronous read costs a few µs where the promise
   * path (open, fstat, read, close, each through the thread pool) cost ten times as much —
   * 256 vCPU threads are 600 reads a sample. Files that may block use `readMayBlock`.
   */
  async read(...parts: string[]): Promise<string | null> {
    try {
      return readFileSync(this.path(...parts), 'utf8');
    } catch (err) {
      if (ABSENT.has((err as NodeJS.ErrnoException).code ?? '')) return null;
      throw unreadable(err, this.hostPath(...parts));
    }
  }

  /**
   * `read` for a file whose read can sleep on another process's lock: /proc/<pid>/cmdline takes
   * the target's mmap_lock (get_mm_cmdline → access_remote_vm), which a QEMU busy mapping
   * memory may hold for long. Read off the event loop, so sampling and the monitors go on.
   */
  async readMayBlock(...parts: string[]): Promise<string | null> {
    try {
      return await readFile(this.path(...parts), 'utf8');
    } catch (err) {
      if (ABSENT.has((err as NodeJS.ErrnoException).code ?? '')) return null;
      throw unreadable(err, this.hostPath(...parts));
    }
  }

  /** Directory entries, or [] when it does not exist; any other error is an `Unreadable`. */
  async list(...parts: string[]): Promise<string[]> {
    try {
      return readdirSync(this.path(...parts));
    } catch (err) {
      if (ABSENT.has((err as NodeJS.ErrnoException).code ?? '')) return [];
      throw unreadable(err, this.hostPath(...parts));
    }
  }
}

/** What a collector could not read, and why: the sample carries it instead of a silent zero. */
export interface Missing {
  signal: SignalName;
  reason: string;
}

/** The errno of an `Unreadable`, or the message of anything else a collector met. */
export function errorCode(err: unknown): string {
  if (err instanceof Unreadable) return err.code;
  return (err as NodeJS.ErrnoException).code ?? (err as Error).message ?? String(err);
}
