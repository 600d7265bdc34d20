import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, rmSync, symlinkSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

const REPO = join(__dirname, '..', '..');

/**
 * An earlier commit of this repository, built beside this one (its sources from git, this
 * checkout's node_modules), so a benchmark can run both side by side in one run. Cached by
 * commit in the temporary directory; null with the reason when git cannot give the commit
 * (a shallow clone, a tarball).
 */
export function baselineBuild(commit: string): { dir: string } | { reason: string } {
  const dir = join(tmpdir(), `spinwise-baseline-${commit}`);
  if (existsSync(join(dir, 'dist', '.built'))) return { dir };
  try {
    rmSync(dir, { recursive: true, force: true });
    mkdirSync(dir, { recursive: true });
    const archive = execFileSync('git', ['-C', REPO, 'archive', '--format=tar', commit], {
      maxBuffer: 256 << 20,
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    execFileSync('tar', ['-x', '-C', dir], { input: archive });
    symlinkSync(join(REPO, 'node_modules'), join(dir, 'node_modules'));
    process.stderr.write(`bench: building ${commit} for the side-by-side rows\n`);
    execFileSync(join(REPO, 'node_modules', '.bin', 'tsc'), ['-p', join(dir, 'tsconfig.build.json')], {
      stdio: ['ignore', 'ignore', 'inherit'],
    });
    execFileSync('touch', [join(dir, 'dist', '.built')]);
    return { dir };
  } catch (err) {
    return { reason: `cannot build ${commit}: ${(err as Error).message.split('\n')[0]}` };
  }
}
