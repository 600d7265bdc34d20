import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { EventQueue } from '../src/sim/core/event-queue';
import { Rng } from '../src/sim/core/rng';
import { MODELS } from '../src/sim/models';
import { parseScenario, parseScenarioYaml } from '../src/sim/scenario';
import { buildHost } from '../src/sim/simulate';
import { printTable } from './table';

const seconds = (start: bigint) => Number(process.hrtime.bigint() - start) / 1e9;

/** The ceiling: pop one event and push one, with as many pending events as the paper model keeps. */
function bareQueue(events: number, pending: number): number {
  const q = new EventQueue([pending]);
  const rng = new Rng(1);
  for (let i = 0; i < pending; i++) q.push(rng.int(1_000_000), 0, i, 0);
  const start = process.hrtime.bigint();
  let sink = 0;
  for (let i = 0; i < events; i++) {
    q.pop();
    sink += q.target;
    q.push(q.time + 1 + rng.int(100_000), q.kind, q.target, q.gen);
  }
  if (sink < 0) throw new Error('unreachable');
  return events / seconds(start);
}

/** 64 pCPUs, 16 VMs × 16 vCPUs (4:1) with the paper scenario's guests, for 1 s of simulated time. */
function bigHost() {
  return parseScenario({
    host: { pcpus: 64, kernel: '5.6.0' },
    vms: [
      {
        name: 'vm',
        count: 16,
        vcpus: 16,
        workload: {
          busy: 0.9,
          burst: '4ms',
          userShare: 0.33,
          locks: { count: 8, perSecond: 20000, hold: '4us' },
          ipis: { perSecond: 2000, targets: 3, handler: '3us' },
        },
      },
    ],
    duration: '1s',
    seed: 1,
  });
}

export async function simBench(): Promise<void> {
  const paper = parseScenarioYaml(
    readFileSync(join(__dirname, '..', '..', 'scenarios', 'paper-four-8vcpu-vms.yaml'), 'utf8'),
  );
  const rows: (string | number)[][] = [];
  for (const name of ['stock-5.6', 'ple-kvm']) {
    const model = MODELS.find((m) => m.name === name)!;
    buildHost(paper, model, 1).run(100_000_000); // warm up the JIT
    const host = buildHost(paper, model, paper.seed);
    const start = process.hrtime.bigint();
    host.run(paper.duration);
    const rate = host.events / seconds(start);
    const ceiling = bareQueue(host.events, 96);
    rows.push([`paper scenario, ${name}`, host.events, ceiling, rate, ceiling / rate]);
  }
  printTable(
    'event rate: bare event queue (ceiling) vs the full model, same number of events, one core',
    ['run', 'events', 'bare queue ev/s', 'full model ev/s', 'ratio'],
    rows,
  );

  const big = bigHost();
  const wall: (string | number)[][] = [];
  for (const model of MODELS) {
    const host = buildHost(big, model, big.seed);
    const start = process.hrtime.bigint();
    host.run(big.duration);
    const s = seconds(start);
    wall.push([model.name, host.events, s, host.events / s]);
  }
  printTable(
    '1 s of a 64-pCPU host with 256 vCPUs (16 VMs × 16, 4:1), wall time per model',
    ['model', 'events', 'wall s', 'events/s'],
    wall,
  );
}
