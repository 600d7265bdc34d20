import type { NodeSummary } from '../../src/advisor/http/api-types';

/** A small seeded generator (mulberry32), so the fleet is the same on every run. */
function rng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const KERNELS = [
  ['5.14.0-427.el9.x86_64', 'stock-5.13'],
  ['6.1.0-26-amd64', 'stock-5.13'],
  ['6.8.0-45-generic', 'stock-6.6'],
  ['6.12.8-200.fc41.x86_64', 'stock-6.6+halt-poll-shrink+delay-dequeue'],
  ['6.18.2', 'stock-6.14+base-slice-0.70+slice-protection+task-based-throttle+yield-forfeit'],
] as const;
const NAMESPACES = [
  'payments',
  'search',
  'ml-training',
  'ci-runners',
  'analytics',
  'web',
  'kafka',
  'default',
];
const APPS = ['api', 'db', 'worker', 'cache', 'builder', 'etl', 'broker', 'frontend'];

/**
 * A fleet as `/api/nodes` describes it, diverse the way a real one is: racks and long node names,
 * 2–12 KubeVirt VMIs per node in several namespaces, five kernels, every severity, some agents
 * stale or missing signals. The dashboard's 1,000-node test renders and searches it.
 */
export function syntheticFleet(count: number, seed = 7): NodeSummary[] {
  const r = rng(seed);
  const pick = <T>(xs: readonly T[]) => xs[Math.floor(r() * xs.length)]!;
  return Array.from({ length: count }, (_, i) => {
    const pcpus = pick([16, 32, 64, 96, 128]);
    const vms = Array.from({ length: 2 + Math.floor(r() * 11) }, (_, j) => {
      const namespace = pick(NAMESPACES);
      const vmi = `${pick(APPS)}-${(i * 13 + j).toString(36)}`;
      return { name: `${namespace}_${vmi}`, vcpus: pick([2, 4, 8, 16]), namespace, vmi };
    });
    const vcpus = vms.reduce((a, vm) => a + vm.vcpus, 0);
    const spin = r() < 0.7 ? r() * 0.04 : r() * 0.4;
    const severity = spin >= 0.2 ? 'critical' : spin >= 0.05 ? 'warning' : 'ok';
    const [kernel, model] = pick(KERNELS);
    const stale = r() < 0.03;
    const missing =
      r() < 0.2
        ? [{ signal: 'pleExits', reason: 'tracefs has no hist triggers (CONFIG_HIST_TRIGGERS off)' }]
        : [];
    return {
      name: `kv-node-rack${String(Math.floor(i / 40)).padStart(2, '0')}-${String(i).padStart(4, '0')}.dc1.example.internal`,
      kernel,
      model,
      severity,
      oversubscription: Math.round((vcpus / pcpus) * 1000) / 1000,
      pcpus,
      vcpus,
      samples: 30,
      analysedAtMs: Date.now() - 30_000,
      spinShare: Math.round(spin * 1e4) / 1e4,
      vms,
      agent: {
        lastSampleAgeMs: stale ? 120_000 + Math.floor(r() * 3_600_000) : Math.floor(r() * 10_000),
        lastSampleMs: Date.now() - 10_000,
        intervalMs: 10_000,
        gaps: r() < 0.1 ? 1 + Math.floor(r() * 5) : 0,
        stale,
        missing,
        spoolBytes: 0,
        droppedSamples: 0,
      },
      owner: `spinwise-advisor-${i % 3}`,
      predictionAgeMs: r() < 0.1 ? 60_000 : 0,
      modelAgeMs: i % 3 === 0 ? 180_000 : 0,
    };
  });
}
