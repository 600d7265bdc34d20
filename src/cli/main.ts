import { CliError, processIo, type CliIo } from './cli-error';
import { roundtripCommand } from './roundtrip-command';

type Command = (argv: string[], io: CliIo) => Promise<number>;

const COMMANDS: Record<string, { run: Command; summary: string }> = {
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
    if (err instanceof CliError || (err as Error).name === 'ValidationError') {
      io.err(`spinwise ${name}: ${(err as Error).message}\n`);
      return 2;
    }
    throw err;
  }
}
