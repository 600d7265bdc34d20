import { ScenarioError } from '../sim/scenario';
import { ValidationError } from '../telemetry';
import { CliError, processIo, type CliIo } from './cli-error';
import { advisorCommand } from './advisor-command';
import { agentCommand } from './agent-command';
import { compareCommand } from './compare-command';
import { demoCommand } from './demo-command';
import { replayCommand } from './replay-command';
import { roundtripCommand } from './roundtrip-command';
import { simulateCommand } from './simulate-command';

type Command = (argv: string[], io: CliIo) => Promise<number>;

const COMMANDS: Record<string, { run: Command; summary: string }> = {
  demo: {
    run: demoCommand,
    summary: 'demo [--port 8080] [--nodes 3]: simulated nodes, agents, advisor and API on embedded defaults',
  },
  simulate: {
    run: simulateCommand,
    summary: 'simulate <scenario.yaml> [--model NAME] [--seed N] [--json]: one model run',
  },
  compare: {
    run: compareCommand,
    summary: 'compare <scenario.yaml> [--models a,b] [--seeds K] [--json]: models side by side',
  },
  advisor: {
    run: advisorCommand,
    summary:
      'advisor [--port 8080] [--public-url URL] [--migrate] [--dry-run]: the advisor service (Kafka, InfluxDB, Slack, Kubernetes from the environment)',
  },
  agent: {
    run: agentCommand,
    summary:
      'agent [--node N] [--host-root DIR] [--interval 10s] [--once|--intervals N] [--stdout] [--simulate FILE]',
  },
  replay: {
    run: replayCommand,
    summary: 'replay <telemetry.jsonl> [--json]: findings and recommendations from recorded agent output',
  },
  roundtrip: {
    run: roundtripCommand,
    summary: 'send a sample through the embedded bus and store, and show it arrived',
  },
};

function usage(): string {
  const width = Math.max(...Object.keys(COMMANDS).map((c) => c.length));
  return [
    'spinwise — vCPU oversubscription advisor for KVM and KubeVirt',
    '',
    'usage: spinwise <command> [options]',
    '',
    'commands:',
    ...Object.entries(COMMANDS).map(([name, c]) => `  ${name.padEnd(width)}  ${c.summary}`),
    '',
    'environment: SPINWISE_KAFKA_BROKERS, SPINWISE_INFLUX_URL (unset: embedded bus and store),',
    '  SPINWISE_SLACK_WEBHOOK_URL, SPINWISE_API_TOKEN, SPINWISE_KUBECONFIG (in-cluster config inside a pod)',
    '',
  ].join('\n');
}

/** Errors whose message tells the user what to fix: printed without a stack, exit status 2. */
function isUsersToFix(err: unknown): boolean {
  if (err instanceof CliError || err instanceof ValidationError || err instanceof ScenarioError) return true;
  return ((err as { code?: unknown }).code ?? '').toString().startsWith('ERR_PARSE_ARGS');
}

/** Runs one CLI invocation; returns the exit status. */
export async function main(argv: string[], io: CliIo = processIo): Promise<number> {
  const [name, ...rest] = argv;
  if (!name || name === '--help' || name === '-h' || name === 'help') {
    io.out(usage());
    return 0;
  }
  const command = COMMANDS[name];
  if (!command) {
    io.err(`spinwise: unknown command "${name}"\n\n${usage()}`);
    return 2;
  }
  try {
    return await command.run(rest, io);
  } catch (err) {
    if (isUsersToFix(err)) {
      io.err(`spinwise ${name}: ${(err as Error).message}\n`);
      return 2;
    }
    throw err;
  }
}
