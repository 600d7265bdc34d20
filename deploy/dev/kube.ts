import { execFileSync, execSync, spawnSync } from 'node:child_process';
import { generateKeyPairSync, randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { get } from 'node:https';
import { join } from 'node:path';
import { freePort, waitUntil } from './free-port';
import { startDetached, stopProcess } from './process';

/**
 * A real Kubernetes control plane for tests: Debian's etcd and a kube-apiserver built from the Go
 * module proxy (k8s.io/kubernetes cannot be `go install`ed: its go.mod replaces the staging
 * modules with ./staging paths, so `deploy/dev/kube-apiserver/go.mod` replaces each with its
 * published version). Nothing else of a cluster runs: no controller-manager, no kubelet.
 */
export const KUBE_VERSION = 'v1.34.4';
const ROOT = join(__dirname, '..', '..', '..');
const MODULE_DIR = join(ROOT, 'deploy', 'dev', 'kube-apiserver');
const BINARY = join(ROOT, '.cache', `kube-apiserver-${KUBE_VERSION}`, 'kube-apiserver');

export interface KubeState {
  dir: string;
  etcdDir: string;
  etcdPort: number;
  etcdPeerPort: number;
  etcdPid: number;
  port: number;
  pid: number;
  /** Bearer token of the `admin` user (system:masters). */
  token: string;
  kubeconfig: string;
}

export const kubeUrlOf = (s: KubeState): string => `https://127.0.0.1:${s.port}`;

/** The kube-apiserver binary, built once and cached under .cache/ by version (about 7 minutes cold on 2 cores). */
export function ensureKubeApiserver(): string {
  if (existsSync(BINARY)) return BINARY;
  process.stderr.write(
    `building kube-apiserver ${KUBE_VERSION} from the Go module proxy into ${BINARY} (several minutes, once)\n`,
  );
  const [major, minor] = KUBE_VERSION.slice(1).split('.');
  const x = (k: string, v: string) => `-X k8s.io/component-base/version.${k}=${v}`;
  const built = spawnSync(
    'go',
    [
      'build',
      '-trimpath',
      '-ldflags',
      `-s -w ${x('gitVersion', KUBE_VERSION)} ${x('gitMajor', major!)} ${x('gitMinor', minor!)}`,
      '-o',
      BINARY,
      'k8s.io/kubernetes/cmd/kube-apiserver',
    ],
    { cwd: MODULE_DIR, stdio: ['ignore', 'inherit', 'inherit'], env: { ...process.env, CGO_ENABLED: '0' } },
  );
  if (built.status !== 0 || !existsSync(BINARY))
    throw new Error(`building kube-apiserver ${KUBE_VERSION} failed`);
  return BINARY;
}

/** etcd from Debian's `etcd-server` package, installed when missing. */
export function ensureEtcd(): string {
  const known = ['/usr/bin/etcd', '/usr/local/bin/etcd'].find((p) => existsSync(p));
  if (known) return known;
  process.stderr.write('installing Debian package etcd-server (apt-get) for the Kubernetes tests\n');
  execSync('apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq etcd-server', {
    stdio: ['ignore', 'ignore', 'inherit'],
  });
  return execFileSync('sh', ['-c', 'command -v etcd']).toString().trim();
}

/** GET over TLS to the server's self-signed certificate. */
export function kubeGet(state: KubeState, path: string): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    const req = get(
      `${kubeUrlOf(state)}${path}`,
      { rejectUnauthorized: false, headers: { authorization: `Bearer ${state.token}` } },
      (res) => {
        let body = '';
        res.on('data', (d: Buffer) => (body += d.toString()));
        res.on('end', () => resolve({ status: res.statusCode ?? 0, body }));
      },
    );
    req.on('error', reject);
    req.setTimeout(5_000, () => req.destroy(new Error('timeout')));
  });
}

export async function kubeReady(state: KubeState, timeoutMs = 60_000): Promise<void> {
  await waitUntil(
    'kube-apiserver /readyz',
    async () => (await kubeGet(state, '/readyz')).status === 200,
    timeoutMs,
  );
}

/** A kubeconfig for `user` with `token`, trusting the server's self-signed certificate. */
export function kubeconfigText(state: KubeState, user: string, token: string): string {
  return JSON.stringify({
    apiVersion: 'v1',
    kind: 'Config',
    clusters: [
      { name: 'spinwise-test', cluster: { server: kubeUrlOf(state), 'insecure-skip-tls-verify': true } },
    ],
    users: [{ name: user, user: { token } }],
    contexts: [{ name: user, context: { cluster: 'spinwise-test', user } }],
    'current-context': user,
  });
}

export async function startKube(dir: string): Promise<KubeState> {
  const apiserver = ensureKubeApiserver();
  ensureEtcd();
  mkdirSync(dir, { recursive: true });
  // etcd 3.4 has no --unsafe-no-fsync: its data lives on tmpfs, or every write waits for the disk.
  const etcdDir = mkdtempSync(join(existsSync('/dev/shm') ? '/dev/shm' : dir, 'spinwise-etcd-'));
  const token = randomBytes(24).toString('hex');
  const { privateKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
  writeFileSync(join(dir, 'sa.key'), privateKey.export({ type: 'pkcs1', format: 'pem' }));
  writeFileSync(join(dir, 'tokens.csv'), `${token},admin,admin-uid,"system:masters"\n`);
  const state: KubeState = {
    dir,
    etcdDir,
    etcdPort: await freePort(),
    etcdPeerPort: await freePort(),
    etcdPid: 0,
    port: await freePort(),
    pid: 0,
    token,
    kubeconfig: join(dir, 'kubeconfig'),
  };
  writeFileSync(state.kubeconfig, kubeconfigText(state, 'admin', token));
  return resumeKube(state, apiserver);
}

/** Starts etcd and the API server on the state's ports and data (again, after `stopKube`). */
export async function resumeKube(state: KubeState, apiserver = ensureKubeApiserver()): Promise<KubeState> {
  const etcdUrl = `http://127.0.0.1:${state.etcdPort}`;
  const etcdPid = startDetached(
    ensureEtcd(),
    [
      '--data-dir',
      state.etcdDir,
      '--listen-client-urls',
      etcdUrl,
      '--advertise-client-urls',
      etcdUrl,
      '--listen-peer-urls',
      `http://127.0.0.1:${state.etcdPeerPort}`,
      '--initial-advertise-peer-urls',
      `http://127.0.0.1:${state.etcdPeerPort}`,
      '--initial-cluster',
      `default=http://127.0.0.1:${state.etcdPeerPort}`,
      '--log-level',
      'warn',
    ],
    join(state.dir, 'etcd.log'),
  );
  await waitUntil('etcd /health', async () => (await fetch(`${etcdUrl}/health`)).ok, 30_000);
  const sa = join(state.dir, 'sa.key');
  const pid = startDetached(
    apiserver,
    [
      `--etcd-servers=${etcdUrl}`,
      '--bind-address=127.0.0.1',
      '--advertise-address=127.0.0.1',
      `--secure-port=${state.port}`,
      `--cert-dir=${join(state.dir, 'certs')}`,
      '--service-cluster-ip-range=10.96.0.0/16',
      '--service-account-issuer=https://kubernetes.default.svc.cluster.local',
      `--service-account-key-file=${sa}`,
      `--service-account-signing-key-file=${sa}`,
      `--token-auth-file=${join(state.dir, 'tokens.csv')}`,
      '--authorization-mode=RBAC',
      '--anonymous-auth=false',
      // No controller-manager creates default ServiceAccounts, so Pods could not be admitted.
      '--disable-admission-plugins=ServiceAccount',
    ],
    join(state.dir, 'kube-apiserver.log'),
  );
  const next = { ...state, etcdPid, pid };
  await kubeReady(next);
  return next;
}

export async function stopKube(state: KubeState, removeData = true): Promise<void> {
  await stopProcess(state.pid);
  await stopProcess(state.etcdPid);
  if (removeData) rmSync(state.etcdDir, { recursive: true, force: true });
}
