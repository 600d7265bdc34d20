import { parseArgs } from 'node:util';
import { startDemo } from '../advisor/demo';
import { CliError, type CliIo } from './cli-error';
import { parsePort } from './options';

const pct = (x: number) => `${x >= 0 ? '+' : '−'}${Math.abs(Math.round(x * 100))} %`;

/** `spinwise demo [--port N] [--nodes K]`: the whole product on embedded defaults until interrupted. */
export async function demoCommand(argv: string[], io: CliIo): Promise<number> {
  const { values } = parseArgs({
    args: argv,
    options: { port: { type: 'string', default: '8080' }, nodes: { type: 'string', default: '3' } },
  });
  const port = parsePort(values.port);
  const nodes = Number(values.nodes);
  if (!Number.isInteger(nodes) || nodes < 1 || nodes > 100)
    throw new CliError(`--nodes: expected 1–100, got "${values.nodes}"`);
  const demo = await startDemo({
    port,
    nodes,
    apiToken: process.env.SPINWISE_API_TOKEN || undefined,
    slackWebhookUrl: process.env.SPINWISE_SLACK_WEBHOOK_URL || undefined,
    log: (l) => io.err(`${l}\n`),
    onAnalysis: (a) => {
      io.out(`${a.node}: ${a.severity}, ${a.oversubscription} vCPUs/pCPU, model ${a.model}\n`);
      for (const f of a.findings) io.out(`  finding ${f.severity}: ${f.message}\n`);
      for (const r of a.recommendations)
        io.out(
          `  recommend ${r.kind} → ${r.target}: PLE exits ${pct(r.predicted.pleExits.change)}, useful time ${pct(r.predicted.usefulNs.change)} (confidence ${r.confidence})\n`,
        );
    },
    onAlert: (a) => io.out(`ALERT ${a.transition}: ${a.node} ${a.finding.kind} ${a.finding.message}\n`),
    onPlan: (moves) => {
      for (const m of moves)
        io.out(
          `  plan: ${m.recommendation.summary}: cluster spin time ${pct(m.recommendation.predicted.spinNs?.change ?? 0)}\n`,
        );
    },
  });
  io.err(
    `spinwise demo: ${nodes} simulated nodes, embedded bus and store, Slack ${demo.slack ? 'on' : 'off'}; dashboard ${demo.url}/ (API ${demo.url}/api/nodes, OpenAPI ${demo.url}/api/docs). Ctrl-C to stop.\n`,
  );
  await new Promise<void>((resolve) => {
    process.once('SIGINT', resolve);
    process.once('SIGTERM', resolve);
  });
  await demo.stop();
  return 0;
}
