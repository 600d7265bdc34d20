import { execFileSync, execSync } from 'node:child_process';
import { existsSync, mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { freePort, waitUntil } from './free-port';
import { startDetached, stopProcess } from './process';

/** InfluxDB 1.x from Debian's `influxdb` package, run as a plain process bound to loopback. */
export function ensureInfluxd(): string {
  const known = ['/usr/bin/influxd', '/usr/local/bin/influxd'].find((p) => existsSync(p));
  if (known) return known;
  process.stderr.write('installing Debian package influxdb (apt-get)\n');
  execSync(
    'apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq influxdb influxdb-client',
    {
      stdio: ['ignore', 'ignore', 'inherit'],
    },
  );
  return execFileSync('sh', ['-c', 'command -v influxd']).toString().trim();
}

export interface InfluxState {
  dir: string;
  port: number;
  rpcPort: number;
  pid: number;
}

export async function influxReady(url: string, timeoutMs = 30_000): Promise<void> {
  await waitUntil(`InfluxDB at ${url}`, async () => (await fetch(`${url}/ping`)).status === 204, timeoutMs);
}

/** `auth`: users and privileges enforced (the first user created must be an admin). */
export async function startInflux(dir: string, options: { auth?: boolean } = {}): Promise<InfluxState> {
  ensureInfluxd();
  mkdirSync(dir, { recursive: true });
  const state = { dir, port: await freePort(), rpcPort: await freePort(), pid: 0 };
  writeFileSync(
    join(dir, 'influxdb.conf'),
    [
      'reporting-disabled = true',
      `bind-address = "127.0.0.1:${state.rpcPort}"`,
      '[meta]',
      `  dir = "${join(dir, 'meta')}"`,
      '[data]',
      `  dir = "${join(dir, 'data')}"`,
      `  wal-dir = "${join(dir, 'wal')}"`,
      '  query-log-enabled = false',
      '[monitor]',
      '  store-enabled = false',
      '[http]',
      `  bind-address = "127.0.0.1:${state.port}"`,
      `  auth-enabled = ${options.auth ? 'true' : 'false'}`,
      '  log-enabled = false',
      '',
    ].join('\n'),
  );
  return resumeInflux(state);
}

export async function resumeInflux(state: InfluxState): Promise<InfluxState> {
  const pid = startDetached(
    ensureInfluxd(),
    ['-config', join(state.dir, 'influxdb.conf')],
    join(state.dir, 'influxd.log'),
  );
  await influxReady(`http://127.0.0.1:${state.port}`);
  return { ...state, pid };
}

export async function stopInflux(state: InfluxState): Promise<void> {
  await stopProcess(state.pid);
}
