import { execFile } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { SimulatedNode } from '../src/agent/simulated-node/simulated-node';
import { parseScenario } from '../src/sim/scenario';
import { baselineBuild } from './baseline-build';
import { printTable } from './table';

/** The agent before issue 23 (collectors that fail alone, QMP statistics in samples): the side-by-side row. */
const BASELINE_COMMIT = '0a66acd';

interface ProbeResult {
  cpuMsPerSample: number;
  wallMsPerSample: number;
  cpuShareOfCore: number;
  maxRssMb: number;
  bytesPerSample: number;
}

/**
 * A 64-pCPU node with 256 vCPU threads in 58 VMs of four sizes and four workloads (a VM's size
 * sets its thread count, its workload how fast its counters and hist entries move), rendered
 * once; each agent reads it in its own process. Each VM's QMP monitor answers from the model
 * in this process, as QEMU would from its own.
 */
export async function agentBench(): Promise<void> {
  const dir = mkdtempSync(join(tmpdir(), 'spinwise-agent-bench-'));
  const node = new SimulatedNode(
    parseScenario({
      host: { pcpus: 64, kernel: '5.6.0' },
      vms: [
        { name: 'db', count: 2, vcpus: 32, workload: { busy: 0.8, locks: { perSecond: 20000 } } },
        { name: 'app', count: 8, vcpus: 8, workload: { busy: 0.5, ipis: { perSecond: 800, targets: 3 } } },
        { name: 'web', count: 16, vcpus: 4, workload: { busy: 0.3, locks: { perSecond: 2000 } } },
        { name: 'tiny', count: 32, vcpus: 2, workload: { busy: 0.1 } },
      ],
      duration: '1s',
    }),
    dir,
    'ple-kvm',
  );
  try {
    await node.init();
    await node.advance(200_000_000);
    const baseline = baselineBuild(BASELINE_COMMIT);
    const variants: [string, string, string[]][] = [
      ...('dir' in baseline
        ? [
            [`${BASELINE_COMMIT} (before)`, join(baseline.dir, 'dist', 'bench', 'agent-probe.js'), []] as [
              string,
              string,
              string[],
            ],
          ]
        : []),
      ['now, with QMP', join(__dirname, 'agent-probe.js'), []],
      ['now, --no-qmp', join(__dirname, 'agent-probe.js'), ['--no-qmp']],
    ];
    const rows: (string | number)[][] = [];
    for (const intervalMs of [10_000, 1_000]) {
      const samples = intervalMs === 10_000 ? 3 : 10;
      for (const [name, probe, extra] of variants) {
        // Asynchronous: the monitors answer from this process while the probe runs.
        const { stdout } = await promisify(execFile)(process.execPath, [
          probe,
          dir,
          String(samples),
          String(intervalMs),
          ...extra,
        ]);
        const r = JSON.parse(stdout) as ProbeResult;
        rows.push([
          name,
          `${intervalMs / 1000} s`,
          samples,
          r.wallMsPerSample,
          r.cpuMsPerSample,
          `${(r.cpuShareOfCore * 100).toFixed(2)}%`,
          r.maxRssMb,
          r.bytesPerSample,
        ]);
      }
    }
    printTable(
      `agent on a 256-vCPU node (64 pCPUs, 58 VMs of 2–32 vCPUs; procfs, tracefs, debugfs, a QMP monitor per VM), own process${'reason' in baseline ? ` — no "before" row: ${baseline.reason}` : ''}`,
      [
        'agent',
        'interval',
        'samples',
        'ms/sample',
        'CPU ms/sample',
        'CPU of one core',
        'peak RSS MB',
        'sample bytes',
      ],
      rows,
    );
  } finally {
    await node.close();
    rmSync(dir, { recursive: true, force: true });
  }
}
