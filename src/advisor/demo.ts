import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { INestApplication } from '@nestjs/common';
import { EmbeddedBus } from '../adapters/bus/embedded-bus';
import { EmbeddedStore } from '../adapters/store/embedded-store';
import { Agent } from '../agent/agent';
import { HostRoot } from '../agent/host-root';
import { SimulatedNode } from '../agent/simulated-node/simulated-node';
import { BusSink } from '../agent/sinks/bus-sink';
import { parseScenarioYaml } from '../sim/scenario';
import type { NodeAnalysis } from '../telemetry';
import { AdvisorCore } from './advisor-core';
import { createAdvisorApp } from './http/create-app';

/** The demo's nodes, in order; `--nodes K` takes the first K (cycling with a suffix beyond four). */
const DEMO_SCENARIOS = ['paper-four-8vcpu-vms', 'mixed-fleet-node', 'undercommitted', 'pinned-1to1'];
const SCENARIO_DIR = join(__dirname, '..', '..', '..', 'scenarios');

export interface DemoOptions {
  port: number;
  nodes: number;
  /** Wall time between agent samples. */
  tickMs?: number;
  /** Simulated time each sample covers. */
  sampleNs?: number;
  analysisIntervalMs?: number;
  onAnalysis?: (analysis: NodeAnalysis) => void;
  log?: (line: string) => void;
}

export interface Demo {
  url: string;
  core: AdvisorCore;
  stop(): Promise<void>;
}

/** Embedded bus and store, K simulated nodes with real agents, the advisor and its API on 127.0.0.1. */
export async function startDemo(options: DemoOptions): Promise<Demo> {
  const bus = new EmbeddedBus();
  const store = new EmbeddedStore({ database: 'spinwise', retentionMs: 24 * 3_600_000 });
  const core = new AdvisorCore(bus, store, {
    analysisIntervalMs: options.analysisIntervalMs ?? 5_000,
    onAnalysis: options.onAnalysis,
    log: options.log,
  });
  await core.start();
  const dirs: string[] = [];
  const agents: { agent: Agent; sim: SimulatedNode }[] = [];
  const started = Date.now();
  for (let i = 0; i < options.nodes; i++) {
    const name = DEMO_SCENARIOS[i % DEMO_SCENARIOS.length]!;
    const node = `demo-${name.split('-')[0]}-${i + 1}`;
    const dir = mkdtempSync(join(tmpdir(), 'spinwise-demo-'));
    dirs.push(dir);
    const sim = new SimulatedNode(
      parseScenarioYaml(readFileSync(join(SCENARIO_DIR, `${name}.yaml`), 'utf8'), name),
      dir,
    );
    await sim.init();
    const agent = new Agent({
      node,
      root: new HostRoot(dir),
      sink: new BusSink(bus.producer()),
      clock: () => started + Math.round(sim.nowNs / 1e6),
    });
    await agent.start();
    agents.push({ agent, sim });
  }
  let stopped = false;
  const sampleNs = options.sampleNs ?? 200_000_000;
  const loop = (async () => {
    while (!stopped) {
      await new Promise((r) => setTimeout(r, options.tickMs ?? 1_000));
      for (const { agent, sim } of agents) {
        if (stopped) break;
        await sim.advance(sampleNs);
        await agent.sample();
      }
    }
  })();
  const app: INestApplication = await createAdvisorApp(core);
  await app.listen(options.port, '127.0.0.1');
  return {
    url: `http://127.0.0.1:${options.port}`,
    core,
    stop: async () => {
      stopped = true;
      await loop;
      for (const { agent } of agents) await agent.stop();
      await app.close();
      await core.stop();
      await bus.close();
      for (const d of dirs) rmSync(d, { recursive: true, force: true });
    },
  };
}
