import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { modelByName } from '../models';
import { parseScenario, type ScenarioInput } from '../scenario';
import { buildHost, simulate } from '../simulate';
import { kubevirtPod, kubevirtTree, milliCpuToShares, sharesToCpuWeight } from './kubevirt';

type VmInput = ScenarioInput['vms'][number];
const node = (vms: VmInput[], pcpus = 4): ScenarioInput => ({
  host: { pcpus, kernel: '6.8.0', cgroups: 'kubevirt' },
  vms,
  duration: '500ms',
  seed: 2,
});
const busy = { busy: 1, userShare: 1 };

describe('host.cgroups kubevirt: virt-launcher pods as the kubelet weighs them', () => {
  it('requests become shares (MilliCPUToShares) and shares a cgroup v2 weight (2 → 1, 1024 → 100, 262144 → 10000)', () => {
    assert.deepEqual([0, 100, 1000, 4000].map(milliCpuToShares), [2, 102, 1024, 4096]);
    assert.deepEqual([2, 1024, 262144].map(sharesToCpuWeight), [1, 100, 10000]);
    const vm = (input: Partial<VmInput>) =>
      kubevirtPod(parseScenario(node([{ name: 'a', vcpus: 4, ...input }])).vms[0]!);
    // KubeVirt's default: 100m per vCPU (cpuAllocationRatio 10), burstable, no limit.
    assert.deepEqual(vm({}), {
      qos: 'burstable',
      requestMilli: 400,
      weight: sharesToCpuWeight(409),
      limit: undefined,
    });
    assert.deepEqual(vm({ qos: 'guaranteed' }), {
      qos: 'guaranteed',
      requestMilli: 4000,
      weight: sharesToCpuWeight(4096),
      limit: 4,
    });
    assert.deepEqual(vm({ qos: 'besteffort' }), {
      qos: 'besteffort',
      requestMilli: 0,
      weight: 1,
      limit: undefined,
    });
  });

  it('a BestEffort VM beside a busy Guaranteed VM that fills the host gets almost nothing', () => {
    const vms: VmInput[] = [
      { name: 'g', vcpus: 4, qos: 'guaranteed', workload: busy },
      { name: 'be', vcpus: 2, qos: 'besteffort', workload: busy },
    ];
    const [g, be] = simulate(parseScenario(node(vms))).vms.map((v) => v.cpuShare);
    assert.ok(be! < 0.02, `BestEffort ${be}`);
    assert.ok(g! > 0.95, `Guaranteed ${g}`);
    // The same two VMs as equal per-VM cgroups: the small one gets its fair half of its pCPUs.
    const even = simulate(
      parseScenario({
        ...node(vms.map(({ qos: _qos, ...v }) => v)),
        host: { pcpus: 4, kernel: '6.8.0', cgroups: 'per-vm' },
      }),
    ).vms[1]!.cpuShare;
    assert.ok(even > 0.2, `equal weights: ${even}`);
  });

  it('the tree: kubepods (allocatable) → Guaranteed pods, and the Burstable (sum of requests) and BestEffort (2 shares) slices', () => {
    const pods = [
      { name: 'g', vcpus: 4, qos: 'guaranteed' as const },
      { name: 'b', vcpus: 4, cpu: { request: 1.5 } },
      { name: 'c', vcpus: 2, cpu: { request: 0.5 } },
      { name: 'e', vcpus: 2, qos: 'besteffort' as const },
    ].map((v) => kubevirtPod(parseScenario(node([v])).vms[0]!));
    assert.deepEqual(kubevirtTree(pods, 8), [
      { weight: sharesToCpuWeight(4096), parent: 4 },
      { weight: sharesToCpuWeight(1536), parent: 5 },
      { weight: sharesToCpuWeight(512), parent: 5 },
      { weight: 1, parent: 6 },
      { weight: sharesToCpuWeight(8192), parent: -1 },
      { weight: sharesToCpuWeight(milliCpuToShares(2000)), parent: 4 },
      { weight: 1, parent: 4 },
    ]);
  });

  it('a Burstable pod that idles leaves its share to the other Burstable pod: the slice keeps its weight against a Guaranteed pod', () => {
    // A Guaranteed 4-CPU pod against the Burstable slice (two pods of 2 CPUs requested: 4,096
    // shares each side). With b2 idle, b1 takes nearly the slice's half of the host (what b2's
    // bursts leave; per-CPU group shares from PELT load keep it a few points below); pods weighed
    // side by side under one parent (no slice) would give b1 only 2,048 / (4,096 + 2,048) ≈ 0.33.
    const vms: VmInput[] = [
      { name: 'g', vcpus: 4, qos: 'guaranteed', workload: busy },
      { name: 'b1', vcpus: 4, cpu: { request: 2 }, workload: busy },
      { name: 'b2', vcpus: 4, cpu: { request: 2 }, workload: { busy: 0.02, burst: '1ms' } },
    ];
    const [g, b1, b2] = simulate(parseScenario(node(vms))).vms.map((v) => v.cpuShare);
    assert.ok(b1! > 0.42 && b1! < 0.5, `Burstable b1 ${b1}`);
    assert.ok(g! > 0.5 && g! < 0.56, `Guaranteed ${g}`);
    assert.ok(b2! < 0.03, `idle b2 ${b2}`);
  });

  it('QEMU’s own threads take their share out of the VM’s CPU limit', () => {
    const vm = (emulator?: VmInput['emulator']): VmInput => ({
      name: 'a',
      vcpus: 4,
      cpu: { request: 1, limit: 2 },
      workload: busy,
      ...(emulator ? { emulator } : {}),
    });
    const run = (input: VmInput) => {
      const scenario = parseScenario(node([input]));
      const host = buildHost(scenario, modelByName('stock-6.6'), scenario.seed);
      host.run(scenario.duration);
      const vcpuNs = host.vcpus.reduce((a, v) => a + v.thread.runNs, 0);
      const emulatorNs = host.loads.reduce((a, l) => a + l.thread.runNs, 0);
      return { vcpuNs, emulatorNs };
    };
    const alone = run(vm());
    const shared = run(vm({ threads: 2, busy: 0.5, burst: '1ms' }));
    const quota = 2 * 500e6;
    assert.ok(shared.emulatorNs > 0.1 * quota, `emulator ran ${shared.emulatorNs / 1e6} ms`);
    assert.ok(shared.vcpuNs + shared.emulatorNs <= quota + 4 * 5e6, 'vCPUs and emulator within one quota');
    assert.ok(
      shared.vcpuNs < alone.vcpuNs - 0.8 * shared.emulatorNs,
      `vCPUs ${alone.vcpuNs / 1e6} → ${shared.vcpuNs / 1e6} ms`,
    );
  });

  it('dedicatedCpus pins each vCPU to its own CPU; isolateEmulatorThread puts QEMU’s threads on the next one', () => {
    const scenario = parseScenario(
      node(
        [
          {
            name: 'a',
            vcpus: 3,
            qos: 'guaranteed',
            cpus: '0-3',
            dedicatedCpus: true,
            isolateEmulatorThread: true,
            emulator: { threads: 2, busy: 0.3 },
            workload: busy,
          },
        ],
        4,
      ),
    );
    const host = buildHost(scenario, modelByName('stock-6.6'), scenario.seed);
    assert.deepEqual(
      host.vcpus.map((v) => v.thread.allowed),
      [[0], [1], [2]],
    );
    assert.deepEqual(
      host.loads.map((l) => l.thread.allowed),
      [[3], [3]],
    );
    host.run(scenario.duration);
    for (const v of host.vcpus) assert.ok(v.thread.runNs > 0.99 * scenario.duration, 'a vCPU never waits');
  });

  it('refuses KubeVirt settings that KubeVirt or the kubelet would not accept, naming the key', () => {
    const refused = (input: ScenarioInput, key: string) =>
      assert.throws(
        () => parseScenario(input),
        (err: Error) => err.message.includes(key),
      );
    refused(node([{ name: 'a', vcpus: 2, cpu: { weight: 300 } }]), 'vms[0].cpu.weight');
    refused(node([{ name: 'a', vcpus: 2, dedicatedCpus: true, cpus: '0-1' }]), 'vms[0].qos');
    refused(
      node([{ name: 'a', vcpus: 2, qos: 'guaranteed', dedicatedCpus: true, cpus: '0' }]),
      'vms[0].cpus',
    );
    refused(node([{ name: 'a', vcpus: 2, qos: 'besteffort', cpu: { request: 1 } }]), 'vms[0].qos');
    refused(
      { ...node([{ name: 'a', vcpus: 2, qos: 'burstable' }]), host: { pcpus: 4, kernel: '6.8.0' } },
      'vms[0].qos',
    );
    refused(
      node([{ name: 'a', vcpus: 2, qos: 'gold' as 'guaranteed' }]),
      'vms[0].qos: expected one of "guaranteed", "burstable", "besteffort", got "gold"',
    );
  });
});
