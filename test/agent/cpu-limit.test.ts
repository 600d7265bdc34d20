import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { cgroupV2PathOf, limitedCpuStat } from '../../src/agent/collectors/procfs/cgroup-cpu';
import { HostRoot } from '../../src/agent/host-root';
import { recordSimulatedNode } from '../../src/agent/simulated-node/record-node';
import { analyzeNode } from '../../src/advisor/domain/analyze-node';
import { nodeScenario } from '../../src/advisor/domain/calibrate';
import { parseScenario } from '../../src/sim/scenario';

describe('CPU limits: cgroup cpu.stat from node to finding', () => {
  it('finds the nearest limited cgroup above QEMU and reads its cpu.stat; none without a limit or on cgroup v1', async () => {
    const root = mkdtempSync(join(tmpdir(), 'spinwise-cgroup-'));
    const pod = join(root, 'sys/fs/cgroup/kubepods.slice/kubepods-burstable.slice/kubepods-pod1.slice');
    mkdirSync(join(pod, 'cri-containerd-abc.scope'), { recursive: true });
    writeFileSync(join(pod, 'cri-containerd-abc.scope', 'cpu.max'), 'max 100000\n');
    writeFileSync(join(pod, 'cpu.max'), '250000 100000\n');
    writeFileSync(
      join(pod, 'cpu.stat'),
      'usage_usec 9\nuser_usec 5\nsystem_usec 4\nnr_periods 40\nnr_throttled 12\nthrottled_usec 345678\n',
    );
    const proc = '0::/kubepods.slice/kubepods-burstable.slice/kubepods-pod1.slice/cri-containerd-abc.scope\n';
    assert.deepEqual(await limitedCpuStat(new HostRoot(root), proc), {
      cgroup: '/kubepods.slice/kubepods-burstable.slice/kubepods-pod1.slice',
      quotaUs: 250000,
      periodUs: 100000,
      periods: 40,
      throttledPeriods: 12,
      throttledUs: 345678,
    });
    assert.equal(await limitedCpuStat(new HostRoot(root), '0::/system.slice/other.scope\n'), null);
    assert.equal(cgroupV2PathOf('12:cpu,cpuacct:/machine/qemu-1\n'), null, 'cgroup v1');
  });

  it('a simulated node with cpu.max reports throttled periods, and the advisor finds the throttling', async () => {
    const scenario = parseScenario({
      host: { pcpus: 4, kernel: '6.8.0', cgroups: 'per-vm' },
      vms: [
        { name: 'limited', vcpus: 4, cpu: { limit: 1.5 }, workload: { busy: 1 } },
        { name: 'free', vcpus: 2, workload: { busy: 0.5 } },
      ],
    });
    const { inventory, samples } = await recordSimulatedNode(scenario, 'n1', {
      intervals: 5,
      intervalNs: 200e6,
    });
    const limited = samples.flatMap((s) => s.vms.filter((v) => v.vm === 'limited'));
    assert.equal(
      limited.reduce((a, v) => a + (v.cpuPeriods ?? 0), 0),
      10,
      '1 s of 100 ms periods over the five samples',
    );
    assert.ok(limited.reduce((a, v) => a + (v.cpuThrottledPeriods ?? 0), 0) >= 8);
    assert.ok(samples.every((s) => s.vms.every((v) => v.vm !== 'free' || v.cpuPeriods === undefined)));
    assert.deepEqual(inventory.vms.find((v) => v.name === 'limited')?.cpuLimit, {
      quotaUs: 150000,
      periodUs: 100000,
    });
    assert.equal(inventory.vms.find((v) => v.name === 'free')?.cpuLimit, undefined);
    const result = analyzeNode(inventory, samples);
    // The model replays the VM under its limit (cpu.max 150000 100000 → 1.5 CPUs per 100 ms).
    const replayed = nodeScenario(
      inventory,
      [
        {
          name: 'limited',
          vcpus: 4,
          workload: result.vms.find((v) => v.name === 'limited')!.workload,
          cpuLimit: { quotaUs: 150000, periodUs: 100000 },
        },
      ],
      1e9,
      1,
    );
    assert.deepEqual(replayed.vms[0]!.cpu, { limit: 1.5, period: 100_000_000 });
    assert.equal(replayed.host.cgroups, 'per-vm', 'a limit is a VM cgroup’s: replayed with per-VM cgroups');
    const finding = result.findings.find((f) => f.kind === 'cpu-throttling');
    assert.equal(finding?.vm, 'limited');
    assert.equal(finding?.severity, 'critical');
    assert.ok(!result.findings.some((f) => f.kind === 'cpu-throttling' && f.vm === 'free'));
  });
});
