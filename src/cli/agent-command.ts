import { hostname } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { Command, Option } from 'commander';
import { Agent } from '../agent/agent';
import { HostRoot } from '../agent/host-root';
import { SimulatedNode } from '../agent/simulated-node/simulated-node';
import { DiskSpool } from '../agent/sinks/disk-spool';
import type { Sink } from '../agent/sinks/sink';
import { SpoolingBusSink } from '../agent/sinks/spooling-bus-sink';
import { StdoutSink } from '../agent/sinks/stdout-sink';
import { TOPICS } from '../telemetry';
import type { CliIo } from './cli-error';
import { kafkaBusFromEnv } from './kafka-from-env';
import { modelOption } from './model-option';
import { integerIn, parseBytes, parseDurationMs, parsePort, parseSpeed } from './options';
import { startHealthServer } from '../agent/health-server';
import { readScenario } from './scenario-file';
import { temporaryDir } from './temp-dirs';

interface AgentOptions {
  node?: string;
  hostRoot: string;
  interval: number;
  once: boolean;
  intervals?: number;
  stdout: boolean;
  simulate?: string;
  simulateKubevirt?: string;
  model?: string;
  speed: number;
  spoolDir?: string;
  spoolMaxBytes: number;
  qmpSocketDir?: string;
  qmpTimeout: number;
  qmp: boolean;
  libvirt: boolean;
  metricsPort?: number;
  metricsHost: string;
}

/** `spinwise agent …`: the node agent, a sample every interval until stopped. */
export function agentCommand(io: CliIo): Command {
  return new Command('agent')
    .description('the node agent: samples vCPU spinning every interval and sends it to Kafka (or stdout)')
    .addOption(
      new Option('--node <name>', 'node name (default: $SPINWISE_NODE_NAME, else the host name)').env(
        'SPINWISE_NODE_NAME',
      ),
    )
    .option('--host-root <dir>', 'where the host’s / is mounted (a DaemonSet mounts it at /host)', '/')
    .addOption(
      new Option('--interval <duration>', 'time between samples, e.g. 10s or 500ms')
        .argParser(parseDurationMs)
        .default(10_000, '10s'),
    )
    .option('--once', 'take one sample and exit', false)
    .addOption(new Option('--intervals <n>', 'take N samples and exit').argParser(integerIn(1, undefined, 5)))
    .option('--stdout', 'write samples as JSON lines to stdout, even with Kafka configured', false)
    .option('--simulate <scenario.yaml>', 'run against a simulated node rendering this scenario')
    .option(
      '--simulate-kubevirt <namespace>',
      'with --simulate: render the VMs as KubeVirt VMIs of this namespace (virt-launcher pods)',
    )
    .addOption(
      modelOption('model for this node instead of its kernel’s (spinwise models); --simulate runs it'),
    )
    .addOption(
      new Option('--speed <x>', 'with --simulate: simulated time per wall time, or "max"')
        .argParser(parseSpeed)
        .default(1),
    )
    .option(
      '--spool-dir <dir>',
      'disk spool for samples the broker has not taken (default /var/lib/spinwise/spool/<node>)',
    )
    .addOption(
      new Option(
        '--spool-max-bytes <size>',
        'the spool’s bound; beyond it the oldest samples are dropped and counted (the newest inventory is kept)',
      )
        .argParser(parseBytes)
        .default(64 * 1024 * 1024, '64Mi'),
    )
    .addOption(
      new Option(
        '--metrics-port <n>',
        'serve /metrics and /healthz on this port (off unless given)',
      ).argParser(parsePort),
    )
    .option(
      '--metrics-host <address>',
      'address of the metrics endpoint (the chart gives the pod IP)',
      '127.0.0.1',
    )
    .option(
      '--qmp-socket-dir <dir>',
      'QMP sockets named <domain>.sock, for QEMUs whose command line names none (-qmp unix:PATH is found by itself)',
    )
    .option('--no-qmp', 'never connect to QEMU monitors (per-vCPU KVM statistics are then missing)')
    .option(
      '--no-libvirt',
      'never ask libvirt (virsh domstats) for the statistics of VMs whose monitor libvirt holds',
    )
    .addOption(
      new Option('--qmp-timeout <duration>', 'how long one QEMU monitor may take to answer, e.g. 1s')
        .argParser(parseDurationMs)
        .default(1_000, '1s'),
    )
    .addHelpText(
      'after',
      '\nExamples:\n  spinwise agent --once --interval 1s --stdout\n  spinwise agent --simulate scenarios/paper-four-8vcpu-vms.yaml --interval 1s --speed max --intervals 5 --stdout',
    )
    .action((options: AgentOptions) => run(options, io));
}

async function run(options: AgentOptions, io: CliIo): Promise<void> {
  // Signals stop the agent from the start, so even one stopped while it sets up cleans up.
  const stop = new AbortController();
  const onSignal = () => stop.abort();
  process.once('SIGINT', onSignal);
  process.once('SIGTERM', onSignal);
  const scratch = options.simulate ? temporaryDir('spinwise-simnode-') : null;
  try {
    await sample(options, io, scratch?.dir ?? null, stop.signal);
  } finally {
    process.off('SIGINT', onSignal);
    process.off('SIGTERM', onSignal);
    scratch?.release();
  }
}

/** Samples every interval until the count is reached or `signal` aborts. */
async function sample(
  options: AgentOptions,
  io: CliIo,
  simDir: string | null,
  signal: AbortSignal,
): Promise<void> {
  // In a DaemonSet the node's name comes from the downward API.
  const node = (options.node ?? hostname()).toLowerCase();
  const count = options.once ? 1 : (options.intervals ?? Infinity);
  let simulated: SimulatedNode | null = null;
  let root = new HostRoot(options.hostRoot);
  const started = Date.now();
  let clock = () => Date.now();
  if (options.simulate && simDir) {
    simulated = new SimulatedNode(
      readScenario(options.simulate),
      simDir,
      options.model,
      undefined,
      options.simulateKubevirt ? { kubevirtNamespace: options.simulateKubevirt } : {},
    );
    await simulated.init();
    root = new HostRoot(simDir);
    clock = () => started + Math.round(simulated!.nowNs / 1e6);
    io.err(`agent: simulated node ${node} (${simulated.modelName}) under ${simDir}\n`);
  }

  const bus = options.stdout ? null : kafkaBusFromEnv(process.env, `spinwise-agent-${node}`, 5_000);
  let sink: Sink;
  let spool: DiskSpool | undefined;
  if (!bus) {
    if (!options.stdout) io.err('agent: SPINWISE_KAFKA_BROKERS is unset; writing samples to stdout\n');
    sink = new StdoutSink(io.out);
  } else {
    spool = new DiskSpool(options.spoolDir ?? join('/var/lib/spinwise/spool', node), options.spoolMaxBytes, {
      keepNewestOf: new Set([TOPICS.inventory]),
    });
    // Agents never create topics (they hold no Create grant): the advisor does, or an
    // administrator (deploy/kafka-topics.sh). Until the topics exist, samples wait in the spool.
    sink = new SpoolingBusSink(bus.producer(), spool, (message) => io.err(`agent: ${message}\n`));
  }

  const agent = new Agent({
    node,
    root,
    sink,
    spool,
    clock,
    qmp: options.qmp && { socketDir: options.qmpSocketDir, timeoutMs: options.qmpTimeout },
    ...(options.libvirt ? {} : { libvirt: false as const }),
    model: options.model,
  });
  await agent.start();
  const health =
    options.metricsPort === undefined
      ? null
      : await startHealthServer(
          options.metricsPort,
          options.metricsHost,
          options.interval,
          () => agent.health(),
          agent.metrics,
          (message) => io.err(`agent: ${message}\n`),
        );
  if (health) io.err(`agent: /metrics and /healthz on ${options.metricsHost}:${health.port}\n`);
  try {
    for (let i = 0; i < count && !signal.aborted; i++) {
      const waitMs = simulated ? options.interval / options.speed : options.interval;
      if (Number.isFinite(waitMs) && waitMs > 0)
        await sleep(waitMs, undefined, { signal }).catch(() => undefined);
      if (signal.aborted) break;
      if (simulated) await simulated.advance(options.interval * 1e6);
      // Collectors never throw; what is left (a sample our own schema refuses: a defect) is
      // logged and the next interval tries again — an agent that exits measures nothing.
      await agent.sample().catch((err: Error) => io.err(`agent: sample not sent: ${err.message}\n`));
    }
  } finally {
    await health?.close();
    await agent.stop();
    await simulated?.close();
  }
}
