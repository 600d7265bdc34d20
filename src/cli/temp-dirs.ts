import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

const made = new Set<string>();

function removeAll(): void {
  for (const dir of made) rmSync(dir, { recursive: true, force: true });
  made.clear();
}

let hooked = false;
/** Removes what it made when the process exits, including by SIGINT or SIGTERM. */
function hook(): void {
  if (hooked) return;
  hooked = true;
  process.once('exit', removeAll);
}

/** A temporary directory that is removed when `release` is called or the process ends. */
export function temporaryDir(prefix: string): { dir: string; release: () => void } {
  hook();
  const dir = mkdtempSync(join(tmpdir(), prefix));
  made.add(dir);
  return {
    dir,
    release: () => {
      made.delete(dir);
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
