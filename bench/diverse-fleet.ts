import { cloneAs, recordSimulatedNode, type RecordedNode } from '../src/agent/simulated-node/record-node';
import { parseScenario, type ScenarioInput } from '../src/sim/scenario';
import type { NodeInventory, NodeSample } from '../src/telemetry';

/**
 * A fleet as operators run it, drawn from a seeded distribution: node pools of 64-pCPU hosts, each
 * pool with its own VM shapes and guest workload (VM sizes 2–32 vCPUs at 0.75–3 vCPUs per pCPU,
 * busy 30–95 %, 300–20,000 lock acquisitions and 50–3,000 IPIs per vCPU-second; half the pools
 * with -cpu host, so every PV feature, half with a named CPU model and none), its own kernel
 * and, for a fifth of its nodes, the next one (a rolling upgrade); within a pool each node carries
 * its own load (PLE exits and run-queue wait × 0.6–1.6). Over time each node's load drifts (±20 %
 * over an hour, its own phase) and every sample has its own noise (±10 % spinning and waiting,
 * ±3 % running). So alike nodes share a model only as far as their measured load falls in one bin,
 * and a node keeps its model only while its load stays in it — the hit ratio a real fleet sees.
 */
export interface FleetNode {
  inventory: NodeInventory;
  sample(seq: number, timestampMs: number): NodeSample;
}

export interface DiverseFleet {
  nodes: FleetNode[];
  pools: number;
  kernels: number;
}

const KERNELS = [
  '5.4.0-150-generic',
  '5.14.0-427.el9.x86_64',
  '5.15.0-91-generic',
  '6.1.0-26-amd64',
  '6.8.0-45-generic',
  '6.12.8-200.fc41.x86_64',
];

/** Park–Miller: the same seed, the same fleet. */
function rng(seed: number): () => number {
  let s = seed % 2147483647 || 1;
  return () => (s = (s * 48271) % 2147483647) / 2147483647;
}

/** One pool's host and guests, drawn. */
function poolScenario(r: () => number, kernel: string): ScenarioInput {
  const logUniform = (lo: number, hi: number) => Math.round(lo * (hi / lo) ** r());
  const size = [2, 4, 8, 16, 32][Math.floor(r() * 5)]!;
  const ratio = 0.75 + r() * 2.25;
  const count = Math.max(1, Math.round((64 * ratio) / size));
  // Half the pools run -cpu host (libvirt host-passthrough: every PV feature), half a named model.
  const passthrough = r() < 0.5;
  return {
    host: { pcpus: 64, kernel },
    vms: [
      {
        name: `vm${size}`,
        count,
        vcpus: size,
        workload: {
          busy: Math.round((0.3 + r() * 0.65) * 100) / 100,
          burst: ['1ms', '2ms', '4ms'][Math.floor(r() * 3)]!,
          locks: { perSecond: logUniform(300, 20_000) },
          ipis: { perSecond: logUniform(50, 3_000), targets: 1 + Math.floor(r() * 4) },
          pvSpinlocks: passthrough,
          pv: { tlbFlush: passthrough, schedYield: passthrough, ipi: passthrough },
        },
      },
    ],
    duration: '1s',
  };
}

/**
 * A sample's counters as if its interval lasted `everyMs`: the simulated interval is short (the
 * simulation's cost grows with simulated time), its behaviour is taken as steady over the longer
 * one, so the fleet sends 10 s samples as a real agent does.
 */
function stretch(s: NodeSample, everyMs: number): NodeSample {
  const f = everyMs / s.intervalMs;
  const scale = <T extends object>(o: T, keep: string[]): T =>
    Object.fromEntries(
      Object.entries(o).map(([k, v]) => [
        k,
        typeof v === 'number' && !keep.includes(k) ? Math.round(v * f) : v,
      ]),
    ) as T;
  return {
    ...s,
    intervalMs: everyMs,
    vcpus: s.vcpus.map((v) => ({
      ...scale(v, ['vcpu', 'tid']),
      ...(v.ipisSent ? { ipisSent: v.ipisSent.map((i) => scale(i, ['toVcpu'])) } : {}),
    })),
    vms: s.vms.map((v) => scale(v, ['pid'])),
    host: scale(s.host, []),
  };
}

/** Records one simulated node per pool (the costly part), then draws `count` nodes from the pools. */
export async function diverseFleet(
  count: number,
  options: { seed?: number; pools?: number; intervalMs: number; intervals: number; sampleEveryMs: number },
): Promise<DiverseFleet> {
  const r = rng(options.seed ?? 2026);
  const pools = options.pools ?? 16;
  const templates: { recorded: RecordedNode; kernel: string; nextKernel: string; weight: number }[] = [];
  for (let p = 0; p < pools; p++) {
    const k = Math.floor(r() * (KERNELS.length - 1));
    const kernel = KERNELS[k]!;
    const recorded = await recordSimulatedNode(parseScenario(poolScenario(r, kernel)), `pool-${p}`, {
      intervals: options.intervals,
      intervalNs: options.intervalMs * 1e6,
    });
    templates.push({ recorded, kernel, nextKernel: KERNELS[k + 1]!, weight: 0.5 + r() });
  }
  const total = templates.reduce((a, t) => a + t.weight, 0);
  const nodes = Array.from({ length: count }, (_, i): FleetNode => {
    let pick = r() * total;
    const pool = templates.find((t) => (pick -= t.weight) <= 0) ?? templates[templates.length - 1]!;
    const name = `kv-${String(i).padStart(4, '0')}`;
    const clone = cloneAs(pool.recorded, name);
    const kernel = r() < 0.2 ? pool.nextKernel : pool.kernel;
    const load = 0.6 + r();
    const phase = r() * 2 * Math.PI;
    /** A number in [0, 1) fixed by (node, seq, salt): the same fleet on every run. */
    const noise = (seq: number, salt: number) => {
      const x = Math.sin((i + 1) * 12.9898 + seq * 78.233 + salt * 37.719) * 43758.5453;
      return x - Math.floor(x);
    };
    return {
      inventory: { ...clone.inventory, kernel },
      sample: (seq, timestampMs) => {
        const s = stretch(clone.sample(seq, timestampMs), options.sampleEveryMs);
        const intervalNs = s.intervalMs * 1e6;
        const hourly = 1 + 0.2 * Math.sin((2 * Math.PI * seq * options.sampleEveryMs) / 3_600_000 + phase);
        const spin = load * hourly * (0.9 + 0.2 * noise(seq, 1));
        const run = 0.97 + 0.06 * noise(seq, 2);
        return {
          ...s,
          vcpus: s.vcpus.map((v) => {
            const runNs = v.runNs === undefined ? undefined : Math.min(intervalNs, Math.round(v.runNs * run));
            return {
              ...v,
              ...(runNs === undefined ? {} : { runNs }),
              ...(v.pleExits === undefined ? {} : { pleExits: Math.round(v.pleExits * spin) }),
              // Waiting and running never add up to more than the interval.
              ...(v.waitNs === undefined
                ? {}
                : { waitNs: Math.round(Math.max(0, Math.min(v.waitNs * spin, intervalNs - (runNs ?? 0)))) }),
            };
          }),
        };
      },
    };
  });
  return { nodes, pools, kernels: new Set(nodes.map((n) => n.inventory.kernel)).size };
}
