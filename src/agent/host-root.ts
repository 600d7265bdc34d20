import { readdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';

/** Reads the host's files under a root (`/`, or `/host` inside a DaemonSet pod, or a simulated tree). */
export class HostRoot {
  constructor(readonly dir: string) {}

  path(...parts: string[]): string {
    return join(this.dir, ...parts);
  }

  /** File text, or null when it does not exist; other errors (permissions) are thrown with the path. */
  async read(...parts: string[]): Promise<string | null> {
    try {
      return await readFile(this.path(...parts), 'utf8');
    } catch (err) {
      const code = (err as NodeJS.ErrnoException).code;
      if (code === 'ENOENT' || code === 'ESRCH' || code === 'ENOTDIR') return null;
      throw err;
    }
  }

  async list(...parts: string[]): Promise<string[]> {
    try {
      return await readdir(this.path(...parts));
    } catch {
      return [];
    }
  }
}

/** What a collector could not read, and why: the sample carries it instead of a silent zero. */
export interface Missing {
  signal:
    | 'schedstat'
    | 'contextSwitches'
    | 'pleExits'
    | 'pleWindow'
    | 'ipis'
    | 'kvmStats'
    | 'qmpStats'
    | 'hostYields'
    | 'kubevirt';
  reason: string;
}
