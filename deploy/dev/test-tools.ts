import { execFileSync, execSync, spawnSync } from 'node:child_process';
import { existsSync, rmSync, writeFileSync } from 'node:fs';
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

/** The configuration a test libvirtd runs QEMU with: as root, no security driver, no cgroups, logs to files. */
const TEST_QEMU_CONF = `# written by spinwise's tests (deploy/dev/test-tools.ts): libvirtd as a plain process
user = "root"
group = "root"
swtpm_user = "root"
swtpm_group = "root"
stdio_handler = "file"
security_driver = "none"
cgroup_controllers = [ ]
`;

/**
 * Debian's libvirt daemon and virsh for the agent's libvirt test, installed with apt-get when
 * missing, with what Debian's libvirt-daemon-system would otherwise set up: the `libvirt-qemu`
 * user (the QEMU driver resolves it at start even when told to run QEMU as root) and a
 * qemu.conf for a daemon run as a plain process (none is written over an existing one).
 * Returns the libvirtd and virsh paths.
 */
export function ensureLibvirt(): { libvirtd: string; virsh: string } {
  if (!onPath('libvirtd') || !onPath('virsh')) {
    process.stderr.write(
      'installing Debian packages libvirt-daemon, libvirt-clients (apt-get) for the agent tests\n',
    );
    execSync(
      'apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends libvirt-daemon libvirt-daemon-driver-qemu libvirt-clients',
      { stdio: ['ignore', 'ignore', 'inherit'] },
    );
  }
  if (spawnSync('getent', ['passwd', 'libvirt-qemu']).status !== 0)
    execFileSync('useradd', ['-r', '-M', '-s', '/usr/sbin/nologin', 'libvirt-qemu']);
  if (!existsSync('/etc/libvirt/qemu.conf')) writeFileSync('/etc/libvirt/qemu.conf', TEST_QEMU_CONF);
  return { libvirtd: onPath('libvirtd') ?? '/usr/sbin/libvirtd', virsh: onPath('virsh') ?? '/usr/bin/virsh' };
}

/**
 * Debian's Prometheus server and promtool for the alerting and dashboard tests, installed with
 * apt-get when missing. The package's service is never started (no init system runs it here;
 * policy-rc.d refuses it where one does): the tests run the server as their own child process.
 */
export function ensurePrometheus(): { prometheus: string; promtool: string } {
  const known = process.env.SPINWISE_PROMETHEUS ?? onPath('prometheus');
  const tool = process.env.SPINWISE_PROMTOOL ?? onPath('promtool');
  if (known && tool && existsSync(known) && existsSync(tool)) return { prometheus: known, promtool: tool };
  process.stderr.write('installing Debian package prometheus (apt-get) for the alerting tests\n');
  const policy = '/usr/sbin/policy-rc.d';
  const hadPolicy = existsSync(policy);
  if (!hadPolicy) writeFileSync(policy, '#!/bin/sh\nexit 101\n', { mode: 0o755 });
  try {
    execSync(
      'apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends prometheus',
      { stdio: ['ignore', 'ignore', 'inherit'] },
    );
  } finally {
    if (!hadPolicy) rmSync(policy, { force: true });
  }
  const path = (c: string) =>
    execFileSync('sh', ['-c', `command -v ${c}`])
      .toString()
      .trim();
  return { prometheus: path('prometheus'), promtool: path('promtool') };
}
