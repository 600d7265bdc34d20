import { mkdtemp } from 'node:fs/promises';
import { hostname, tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { Agent } from '../agent/agent';
import { HostRoot } from '../agent/host-root';
import { SimulatedNode } from '../agent/simulated-node/simulated-node';
import { DiskSpool } from '../agent/sinks/disk-spool';
import type { Sink } from '../agent/sinks/sink';
import { SpoolingBusSink } from '../agent/sinks/spooling-bus-sink';
import { StdoutSink } from '../agent/sinks/stdout-sink';
import { defaultTopicSpecs } from '../telemetry';
import { kafkaBusFromEnv } from './kafka-from-env';
import { CliError, type CliIo } from './cli-error';
import { readScenario } from './scenario-file';

function parseDurationMs(text: string, what: string): number {
  const m = /^(\d+(?:\.\d+)?)(ms|s|m)?$/.exec(text);
  if (!m) throw new CliError(`${what}: expected a duration like "10s" or "500ms", got "${text}"`);
  const scale = m[2] === 'ms' ? 1 : m[2] === 'm' ? 60_000 : 1000;
  return Math.round(Number(m[1]) * scale);
}

/**
 * `spinwise agent [--node NAME] [--host-root DIR] [--interval 10s] [--once | --intervals N] [--stdout]
 *  [--simulate scenario.yaml [--model NAME] [--speed X]] [--spool-dir DIR] [--spool-max-bytes N]`
 */
export async function agentCommand(argv: string[], io: CliIo): Promise<number> {
  const { values } = parseArgs({
    args: argv,
    options: {
      node: { type: 'string' },
      'host-root': { type: 'string', default: '/' },
      interval: { type: 'string', default: '10s' },
      once: { type: 'boolean', default: false },
      intervals: { type: 'string' },
      stdout: { type: 'boolean', default: false },
      simulate: { type: 'string' },
      model: { type: 'string' },
      speed: { type: 'string', default: '1' },
      'spool-dir': { type: 'string' },
      'spool-max-bytes': { type: 'string', default: String(64 * 1024 * 1024) },
      'qmp-socket-dir': { type: 'string' },
    },
  });
  // In a DaemonSet the node's name comes from the downward API.
  const node = (values.node ?? process.env.SPINWISE_NODE_NAME ?? hostname()).toLowerCase();
  const intervalMs = parseDurationMs(values.interval!, '--interval');
  const count = values.once ? 1 : values.intervals ? Number(values.intervals) : Infinity;
  if (!(count >= 1))
    throw new CliError(`--intervals: expected a positive integer, got "${values.intervals}"`);
  const speed = values.speed === 'max' ? Infinity : Number(values.speed);
  if (!(speed > 0)) throw new CliError(`--speed: expected a positive number or "max", got "${values.speed}"`);

  let simulated: SimulatedNode | null = null;
  let root = new HostRoot(values['host-root']!);
  const started = Date.now();
  let clock = () => Date.now();
  if (values.simulate) {
    const dir = await mkdtemp(join(tmpdir(), 'spinwise-simnode-'));
    simulated = new SimulatedNode(readScenario(values.simulate), dir, values.model);
    await simulated.init();
    root = new HostRoot(dir);
    clock = () => started + Math.round(simulated!.nowNs / 1e6);
    io.err(`agent: simulated node ${node} (${simulated.modelName}) under ${dir}\n`);
  }

  const bus = values.stdout ? null : kafkaBusFromEnv(process.env, `spinwise-agent-${node}`, 5_000);
  let sink: Sink;
  let spool: DiskSpool | undefined;
  if (!bus) {
    if (!values.stdout) io.err('agent: SPINWISE_KAFKA_BROKERS is unset; writing samples to stdout\n');
    sink = new StdoutSink(io.out);
  } else {
    spool = new DiskSpool(
      values['spool-dir'] ?? join('/var/lib/spinwise/spool', node),
      Number(values['spool-max-bytes']),
    );
    await bus
      .ensureTopics(defaultTopicSpecs())
      .catch((err: Error) => io.err(`agent: cannot check topics yet: ${err.message}\n`));
    sink = new SpoolingBusSink(bus.producer(), spool, (message) => io.err(`agent: ${message}\n`));
  }

  const agent = new Agent({
    node,
    root,
    sink,
    spool,
    clock,
    qmpSocketDir: values['qmp-socket-dir'],
  });
  await agent.start();
  let stopping = false;
  const stop = () => (stopping = true);
  process.once('SIGINT', stop);
  process.once('SIGTERM', stop);
  try {
    for (let i = 0; i < count && !stopping; i++) {
      const waitMs = simulated ? intervalMs / speed : intervalMs;
      if (Number.isFinite(waitMs) && waitMs > 0) await new Promise((r) => setTimeout(r, waitMs));
      if (simulated) await simulated.advance(intervalMs * 1e6);
      await agent.sample();
    }
  } finally {
    process.off('SIGINT', stop);
    process.off('SIGTERM', stop);
    await agent.stop();
  }
  return 0;
}
