import { Command, Option } from 'commander';
import type { CliIo } from './cli-error';
import { integerIn, parsePort } from './options';
import { untilSignal } from './until-signal';

const pct = (x: number) => `${x >= 0 ? '+' : '−'}${Math.abs(Math.round(x * 100))} %`;

interface DemoOptions {
  port: number;
  host: string;
  nodes: number;
}

/** `spinwise demo [--port N] [--host H] [--nodes K]`: the whole product on embedded defaults until interrupted. */
export function demoCommand(io: CliIo): Command {
  return new Command('demo')
    .description(
      'simulated nodes, agents, advisor, API and dashboard on the embedded bus and store (no Kafka or InfluxDB needed), until Ctrl-C',
    )
    .addOption(
      new Option('--port <n>', 'port of the API and dashboard (0: any free port)')
        .argParser(parsePort)
        .default(8080),
    )
    .option('--host <address>', 'address to listen on', '127.0.0.1')
    .addOption(new Option('--nodes <k>', 'simulated nodes').argParser(integerIn(1, 100, 3)).default(3))
    .action((options: DemoOptions) => run(options, io));
}

async function run(options: DemoOptions, io: CliIo): Promise<void> {
  // Loaded when the demo runs (it starts the advisor): `spinwise` itself stays small for the agent.
  const { startDemo } = await import('../demo/demo');
  const demo = await startDemo({
    port: options.port,
    host: options.host,
    nodes: options.nodes,
    apiToken: process.env.SPINWISE_API_TOKEN || undefined,
    slackWebhookUrl: process.env.SPINWISE_SLACK_WEBHOOK_URL || undefined,
    log: (l) => io.err(`${l}\n`),
    sinks: [
      {
        analysis: (a) => {
          io.out(`${a.node}: ${a.severity}, ${a.oversubscription} vCPUs/pCPU, model ${a.model}\n`);
          for (const f of a.findings) io.out(`  finding ${f.severity}: ${f.message}\n`);
          for (const r of a.recommendations)
            io.out(
              `  recommend ${r.kind} → ${r.target}: PLE exits ${pct(r.predicted.pleExits.change)}, useful time ${pct(r.predicted.usefulNs.change)} (confidence ${r.confidence}; disrupts: ${r.disruption ?? '–'})\n`,
            );
        },
        alert: (a) => io.out(`ALERT ${a.transition}: ${a.node} ${a.finding.kind} ${a.finding.message}\n`),
        plan: (moves) => {
          for (const m of moves)
            io.out(
              `  plan: ${m.recommendation.summary}: cluster spin time ${pct(m.recommendation.predicted.spinNs?.change ?? 0)}\n`,
            );
        },
      },
    ],
  });
  io.err(
    `spinwise demo: ${options.nodes} simulated nodes, embedded bus and store, Slack ${demo.slack ? 'on' : 'off'}; dashboard ${demo.url}/ (API ${demo.url}/api/nodes, OpenAPI ${demo.url}/api/docs). Ctrl-C to stop.\n`,
  );
  await untilSignal();
  await demo.stop();
}
