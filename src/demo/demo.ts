import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { EmbeddedBus } from '../adapters/bus/embedded-bus';
import { EmbeddedStore } from '../adapters/store/embedded-store';
import { Agent } from '../agent/agent';
import { HostRoot } from '../agent/host-root';
import { SimulatedNode } from '../agent/simulated-node/simulated-node';
import { BusSink } from '../agent/sinks/bus-sink';
import { parseScenarioYaml } from '../sim/scenario';
import {
  startAdvisorRuntime,
  type AdvisorRuntime,
  type AdvisorRuntimeOptions,
} from '../advisor/app/advisor-runtime';

/**
 * The demo's nodes, in order; `--nodes K` takes the first K (cycling beyond four). The first one
 * spins excessively, so an alert (and, with a webhook configured, a Slack message) comes within
 * a minute of start.
 */
const DEMO_SCENARIOS = ['paper-four-8vcpu-vms', 'mixed-fleet-node', 'undercommitted', 'pinned-1to1'];
const SCENARIO_DIR = join(__dirname, '..', '..', '..', 'scenarios');

export interface DemoOptions extends Omit<AdvisorRuntimeOptions, 'port'> {
  port: number;
  nodes: number;
  /** Wall time between agent samples. */
  tickMs?: number;
  /** Simulated time each sample covers. */
  sampleNs?: number;
}

export interface Demo extends AdvisorRuntime {
  /** Node names, in the order of the scenarios above. */
  nodeNames: string[];
}

/** Embedded bus and store, K simulated nodes with real agents, the advisor, its API and dashboard on 127.0.0.1. */
export async function startDemo(options: DemoOptions): Promise<Demo> {
  const bus = new EmbeddedBus();
  const store = new EmbeddedStore({ database: 'spinwise', retentionMs: 24 * 3_600_000 });
  const sampleNs = options.sampleNs ?? 200_000_000;
  const runtime = await startAdvisorRuntime(bus, store, {
    // Five samples an epoch, in the samples' (simulated) time.
    analysisIntervalMs: Math.round((5 * sampleNs) / 1e6),
    planner: { intervalMs: 30_000 },
    ...options,
  });
  const dirs: string[] = [];
  const agents: { agent: Agent; sim: SimulatedNode }[] = [];
  const nodeNames: string[] = [];
  const started = Date.now();
  for (let i = 0; i < options.nodes; i++) {
    const name = DEMO_SCENARIOS[i % DEMO_SCENARIOS.length]!;
    const node = `demo-${name.split('-')[0]}-${i + 1}`;
    nodeNames.push(node);
    const dir = mkdtempSync(join(tmpdir(), 'spinwise-demo-'));
    dirs.push(dir);
    const scenario = parseScenarioYaml(readFileSync(join(SCENARIO_DIR, `${name}.yaml`), 'utf8'), name);
    // The paper node's QEMUs run without a QMP monitor, as many plain-QEMU hosts do: the demo
    // shows a signal a node cannot give, and why.
    const sim = new SimulatedNode(scenario, dir, undefined, scenario.seed, { monitors: i !== 0 });
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
  return {
    ...runtime,
    nodeNames,
    stop: async () => {
      stopped = true;
      await loop;
      for (const { agent, sim } of agents) await agent.stop().finally(() => sim.close());
      await runtime.stop();
      await bus.close();
      for (const d of dirs) rmSync(d, { recursive: true, force: true });
    },
  };
}
