import { CliError, processIo, type CliIo } from './cli-error';
import { agentCommand } from './agent-command';
import { compareCommand } from './compare-command';
import { roundtripCommand } from './roundtrip-command';
import { simulateCommand } from './simulate-command';

type Command = (argv: string[], io: CliIo) => Promise<number>;

const COMMANDS: Record<string, { run: Command; summary: string }> = {
  simulate: {
    run: simulateCommand,
    summary: 'simulate <scenario.yaml> [--model NAME] [--seed N] [--json]: one model run',
  },
  compare: {
    run: compareCommand,
    summary: 'compare <scenario.yaml> [--models a,b] [--seeds K] [--json]: models side by side',
  },
  agent: {
    run: agentCommand,
    summary:
      'agent [--node N] [--host-root DIR] [--interval 10s] [--once|--intervals N] [--stdout] [--simulate FILE]',
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
    'environment: SPINWISE_KAFKA_BROKERS, SPINWISE_INFLUX_URL (unset: embedded bus and store)',
    '',
  ].join('\n');
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
    const name_ = (err as Error).name;
    if (
      err instanceof CliError ||
      name_ === 'ValidationError' ||
      name_ === 'ScenarioError' ||
      (err as { code?: string }).code?.startsWith('ERR_PARSE_ARGS')
    ) {
      io.err(`spinwise ${name}: ${(err as Error).message}\n`);
      return 2;
    }
    throw err;
  }
}
