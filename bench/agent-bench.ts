import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { SimulatedNode } from '../src/agent/simulated-node/simulated-node';
import { parseScenario } from '../src/sim/scenario';
import { printTable } from './table';

/** A 64-pCPU node with 256 vCPU threads (16 VMs × 16), rendered once; the agent reads it in its own process. */
export async function agentBench(): Promise<void> {
  const dir = mkdtempSync(join(tmpdir(), 'spinwise-agent-bench-'));
  try {
    const node = new SimulatedNode(
      parseScenario({
        host: { pcpus: 64, kernel: '5.6.0' },
        vms: [
          {
            name: 'vm',
            count: 16,
            vcpus: 16,
            workload: { locks: { perSecond: 5000 }, ipis: { perSecond: 500, targets: 3 } },
          },
        ],
        duration: '1s',
      }),
      dir,
      'ple-kvm',
    );
    await node.init();
    await node.advance(200_000_000);
    const rows: (string | number)[][] = [];
    for (const intervalMs of [10_000, 1_000]) {
      const samples = intervalMs === 10_000 ? 3 : 10;
      const out = execFileSync(process.execPath, [
        join(__dirname, 'agent-probe.js'),
        dir,
        String(samples),
        String(intervalMs),
      ]).toString();
      const r = JSON.parse(out) as {
        cpuMsPerSample: number;
        wallMsPerSample: number;
        cpuShareOfCore: number;
        maxRssMb: number;
        bytesPerSample: number;
      };
      rows.push([
        `${intervalMs / 1000} s`,
        samples,
        r.wallMsPerSample,
        r.cpuMsPerSample,
        `${(r.cpuShareOfCore * 100).toFixed(2)}%`,
        r.maxRssMb,
        r.bytesPerSample,
      ]);
    }
    printTable(
      'agent on a 256-vCPU node (64 pCPUs, 16 VMs × 16 vCPUs; procfs + tracefs + debugfs files), own process',
      ['interval', 'samples', 'ms/sample', 'CPU ms/sample', 'CPU of one core', 'peak RSS MB', 'sample bytes'],
      rows,
    );
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
