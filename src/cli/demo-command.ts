import { parseArgs } from 'node:util';
import { startDemo } from '../advisor/demo';
import { CliError, type CliIo } from './cli-error';

/** `spinwise demo [--port N] [--nodes K]`: the whole product on embedded defaults until interrupted. */
export async function demoCommand(argv: string[], io: CliIo): Promise<number> {
  const { values } = parseArgs({
    args: argv,
    options: { port: { type: 'string', default: '8080' }, nodes: { type: 'string', default: '3' } },
  });
  const port = Number(values.port);
  const nodes = Number(values.nodes);
  if (!Number.isInteger(port) || port < 0 || port > 65535)
    throw new CliError(`--port: expected a TCP port, got "${values.port}"`);
  if (!Number.isInteger(nodes) || nodes < 1 || nodes > 100)
    throw new CliError(`--nodes: expected 1–100, got "${values.nodes}"`);
  const demo = await startDemo({
    port,
    nodes,
    log: (l) => io.err(`${l}\n`),
    onAnalysis: (a) => {
      io.out(`${a.node}: ${a.severity}, ${a.oversubscription} vCPUs/pCPU, model ${a.model}\n`);
      for (const f of a.findings) io.out(`  finding ${f.severity}: ${f.message}\n`);
      for (const r of a.recommendations)
        io.out(
          `  recommend ${r.kind} → ${r.target}: PLE exits ${(r.predicted.pleExits.change * 100).toFixed(0)} %, useful time ${(r.predicted.usefulNs.change * 100).toFixed(0)} % (confidence ${r.confidence})\n`,
        );
    },
  });
  io.err(
    `spinwise demo: ${nodes} simulated nodes, embedded bus and store; API on ${demo.url}/api/nodes (OpenAPI ${demo.url}/api/docs). Ctrl-C to stop.\n`,
  );
  await new Promise<void>((resolve) => {
    process.once('SIGINT', resolve);
    process.once('SIGTERM', resolve);
  });
  await demo.stop();
  return 0;
}
