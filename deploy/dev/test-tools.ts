import { execFileSync, execSync, spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { homedir } from 'node:os';
import { delimiter, join } from 'node:path';

/** The helm the chart tests use; built from the Go module proxy (Debian does not package it). */
export const HELM_VERSION = 'v3.16.4';

function onPath(command: string): string | null {
  for (const dir of (process.env.PATH ?? '').split(delimiter)) {
    const path = join(dir, command);
    if (dir && existsSync(path)) return path;
  }
  return null;
}

/** Debian's Chromium for the dashboard tests, installed with apt-get when missing (never a browser download). */
export function ensureChromium(): string {
  const known = process.env.SPINWISE_CHROMIUM ?? onPath('chromium');
  if (known && existsSync(known)) return known;
  process.stderr.write('installing Debian package chromium (apt-get) for the dashboard tests\n');
  execSync('apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium', {
    stdio: ['ignore', 'ignore', 'inherit'],
  });
  return execFileSync('sh', ['-c', 'command -v chromium']).toString().trim();
}

/** helm for the chart tests: on PATH, or where `go install` puts it; built when missing (a few minutes). */
export function ensureHelm(): string {
  const gobin = join(process.env.GOPATH ?? join(homedir(), 'go'), 'bin', 'helm');
  const known = process.env.SPINWISE_HELM ?? onPath('helm') ?? (existsSync(gobin) ? gobin : null);
  if (known && existsSync(known)) return known;
  process.stderr.write(
    `building helm ${HELM_VERSION} from the Go module proxy (go install; a few minutes)\n`,
  );
  const built = spawnSync('go', ['install', `helm.sh/helm/v3/cmd/helm@${HELM_VERSION}`], {
    stdio: ['ignore', 'inherit', 'inherit'],
    env: { ...process.env, GOBIN: join(gobin, '..') },
  });
  if (built.status !== 0 || !existsSync(gobin)) throw new Error(`go install helm ${HELM_VERSION} failed`);
  return gobin;
}

/**
 * Debian's QEMU for the agent's real-guest tests, installed with apt-get when missing (the
 * package's firmware, seabios, comes with it; the GUI and tools it recommends are not needed).
 */
export function ensureQemu(): string {
  const known = process.env.SPINWISE_QEMU ?? onPath('qemu-system-x86_64');
  if (known && existsSync(known)) return known;
  process.stderr.write('installing Debian package qemu-system-x86 (apt-get) for the agent tests\n');
  execSync(
    'apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends qemu-system-x86',
    { stdio: ['ignore', 'ignore', 'inherit'] },
  );
  return execFileSync('sh', ['-c', 'command -v qemu-system-x86_64']).toString().trim();
}
