import { Command, CommanderError } from 'commander';
import { ScenarioError } from '../sim/scenario';
import { ValidationError } from '../telemetry';
import { CliError, ExitStatus, processIo, type CliIo } from './cli-error';
import { advisorCommand } from './advisor-command';
import { agentCommand } from './agent-command';
import { compareCommand } from './compare-command';
import { demoCommand } from './demo-command';
import { kafkaSetupCommand } from './kafka-setup-command';
import { modelsCommand } from './models-command';
import { replayCommand } from './replay-command';
import { roundtripCommand } from './roundtrip-command';
import { simulateCommand } from './simulate-command';
import { validateCommand } from './validate-command';
import { VERSION } from './version';

const ENVIRONMENT = `
Environment:
  SPINWISE_KAFKA_BROKERS      Kafka bootstrap brokers (unset: the embedded in-process bus)
  SPINWISE_KAFKA_TLS, _CA_FILE, _CERT_FILE, _KEY_FILE, _SASL_MECHANISM, _USERNAME, _PASSWORD
                              TLS (a CA bundle; a client certificate) and SASL
  SPINWISE_INFLUX_URL         InfluxDB 1.x API URL (unset: the embedded store)
  SPINWISE_SLACK_WEBHOOK_URL  Slack incoming webhook for alerts
  SPINWISE_API_TOKEN          bearer token for the advisor's state-changing endpoints
  SPINWISE_KUBECONFIG         kubeconfig file (in-cluster config when unset inside a pod)`;

/** Commander's messages as one line: "spinwise simulate: unknown option '--modle' (did you mean --model?)". */
function oneLine(command: Command, text: string): string {
  const body = text
    .replace(/^error: /, '')
    .split('\n')
    .map((l) => l.trim())
    .filter(Boolean)
    .join(' ')
    .replace(/\(Did you mean/, '(did you mean');
  const path = command.parent ? `spinwise ${command.name()}` : 'spinwise';
  return `${path}: ${body}\n`;
}

/** Every command (and the program) prints to `io`, and throws instead of exiting. */
function mannered(command: Command, io: CliIo): Command {
  return command
    .version(VERSION, '-V, --version', 'print the version')
    .exitOverride()
    .showSuggestionAfterError(true)
    .helpOption('-h, --help', 'show this help')
    .configureOutput({
      writeOut: (t) => io.out(t),
      writeErr: (t) => io.err(t),
      outputError: (t) => io.err(oneLine(command, t)),
    });
}

function program(io: CliIo): Command {
  const root = mannered(new Command('spinwise'), io)
    .description('vCPU oversubscription advisor for KVM and KubeVirt')
    .addHelpText('after', ENVIRONMENT)
    .addHelpCommand('help [command]', 'show the help of a command');
  for (const make of [
    demoCommand,
    simulateCommand,
    compareCommand,
    modelsCommand,
    replayCommand,
    agentCommand,
    advisorCommand,
    roundtripCommand,
    validateCommand,
    kafkaSetupCommand,
  ])
    root.addCommand(mannered(make(io), io).addHelpText('after', ENVIRONMENT));
  return root;
}

/** Errors whose message tells the user what to fix: one line without a stack, exit status 2. */
function isUsersToFix(err: unknown): boolean {
  return err instanceof CliError || err instanceof ValidationError || err instanceof ScenarioError;
}

/** Runs one CLI invocation; returns the exit status (0 ok, 2 the user's to fix). */
export async function main(argv: string[], io: CliIo = processIo): Promise<number> {
  const root = program(io);
  if (argv.length === 0) {
    io.out(root.helpInformation());
    return 0;
  }
  try {
    await root.parseAsync(argv, { from: 'user' });
    return 0;
  } catch (err) {
    if (err instanceof CommanderError) {
      // Help and version end the run as successes; every other parse error was printed as one line.
      return err.exitCode === 0 ? 0 : 2;
    }
    if (err instanceof ExitStatus) return err.status;
    if (isUsersToFix(err)) {
      io.err(`spinwise ${argv[0]}: ${(err as Error).message.replace(/\s*\n\s*/g, ' ')}\n`);
      return 2;
    }
    throw err;
  }
}
