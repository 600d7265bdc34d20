import { createReadStream } from 'node:fs';
import { availableParallelism } from 'node:os';
import { createInterface } from 'node:readline';
import { Command, Option } from 'commander';
import { prepareAnalysis } from '../advisor/domain/analyze-node';
import { windowSample } from '../advisor/domain/window-sample';
import { ModelPool } from '../advisor/model-pool/model-pool';
import { codecs, type NodeInventory, type NodeSample } from '../telemetry';
import { CliError, fileError, type CliIo } from './cli-error';
import { integerIn } from './options';
import { Progress } from './progress';
import { int, pct, textTable } from './text-table';

interface NodeRecording {
  inventory?: NodeInventory;
  samples: Map<number, NodeSample>;
}

interface ReplayOptions {
  json: boolean;
  quiet: boolean;
  workers: number;
}

/** `spinwise replay <telemetry.jsonl> [--json] [--workers N] [--quiet]` */
export function replayCommand(io: CliIo): Command {
  return new Command('replay')
    .description(
      'findings and recommendations from recorded agent output (inventories and samples, one JSON document a line, as `spinwise agent --stdout` writes)',
    )
    .argument('<telemetry.jsonl>', 'recorded telemetry ("-" for standard input)')
    .option('--json', 'print one JSON document instead of tables', false)
    .addOption(
      new Option('--workers <n>', 'worker threads that analyse nodes in parallel')
        .argParser(integerIn(1, 64, 2))
        .default(Math.max(1, availableParallelism()), 'one per core'),
    )
    .option('-q, --quiet', 'no progress on stderr', false)
    .addHelpText(
      'after',
      '\nExample:\n  spinwise agent --simulate scenarios/paper-four-8vcpu-vms.yaml --interval 1s --speed max --intervals 5 --stdout > paper.jsonl\n  spinwise replay paper.jsonl',
    )
    .action((file: string, options: ReplayOptions) => run(file, options, io));
}

/**
 * Streams the file line by line (a recording of a fleet need not fit in memory twice); invalid
 * lines are reported by number and skipped; duplicates by (node, seq) are absorbed.
 */
async function read(
  file: string,
  io: CliIo,
): Promise<{ nodes: Map<string, NodeRecording>; skipped: { line: number; reason: string }[] }> {
  const input = file === '-' ? process.stdin : createReadStream(file, { encoding: 'utf8' });
  const opened = new Promise<void>((resolve, reject) => {
    if (file === '-') return resolve();
    input.once('open', () => resolve());
    input.once('error', (err: Error) => reject(fileError(file, err)));
  });
  await opened;
  const nodes = new Map<string, NodeRecording>();
  const skipped: { line: number; reason: string }[] = [];
  const recording = (node: string) => {
    const rec: NodeRecording = nodes.get(node) ?? { samples: new Map() };
    nodes.set(node, rec);
    return rec;
  };
  let n = 0;
  for await (const line of createInterface({ input, crlfDelay: Infinity })) {
    n++;
    if (!line.trim()) continue;
    const kind = /"schema"\s*:\s*"spinwise\.(sample|inventory)\.v1"/.exec(line)?.[1];
    try {
      if (kind === 'inventory') {
        const inv = codecs.inventory.decode(line);
        recording(inv.node).inventory = inv;
      } else {
        const sample = codecs.sample.decode(line);
        recording(sample.node).samples.set(sample.seq, sample);
      }
    } catch (err) {
      skipped.push({ line: n, reason: (err as Error).message });
      io.err(`replay: ${file}:${n}: skipped: ${(err as Error).message}\n`);
    }
  }
  return { nodes, skipped };
}

async function run(file: string, options: ReplayOptions, io: CliIo): Promise<void> {
  const { nodes, skipped } = await read(file, io);
  const ready = [...nodes]
    .sort(([a], [b]) => a.localeCompare(b))
    .filter(([name, rec]) => {
      if (rec.inventory) return true;
      io.err(`replay: node ${name} has samples but no inventory line; skipped\n`);
      return false;
    });
  if (ready.length === 0) throw new CliError(`${file}: no node with an inventory and samples`);
  const progress = new Progress(io, 'replay', ready.length, 'nodes analysed', options.quiet);
  const pool = new ModelPool(Math.min(options.workers, ready.length));
  let done = 0;
  let out;
  try {
    // Findings are cheap and computed here; the fits and what-ifs run on the pool's threads.
    out = await Promise.all(
      ready.map(async ([name, rec]) => {
        const samples = [...rec.samples.values()].sort((a, b) => a.seq - b.seq).map(windowSample);
        const prepared = prepareAnalysis(rec.inventory!, samples);
        const a = prepared.finish(await pool.model(prepared.request), { cached: false });
        progress.update(++done);
        return {
          name,
          kernel: a.kernel,
          model: a.model,
          severity: a.severity,
          oversubscription: a.oversubscription,
          samples: a.samples,
          calibration: { residual: a.residual, assumptions: a.assumptions },
          findings: a.findings,
          recommendations: a.recommendations,
        };
      }),
    );
  } finally {
    progress.end();
    await pool.close();
  }
  if (options.json) {
    io.out(`${JSON.stringify({ nodes: out, skipped })}\n`);
    return;
  }
  for (const n of out) {
    io.out(
      `\n${n.name}: ${n.kernel} (model ${n.model}), ${n.oversubscription} vCPUs per pCPU, severity ${n.severity}, ${n.samples} samples\n`,
    );
    if (n.findings.length)
      io.out(
        textTable(
          ['finding', 'severity', 'detail'],
          n.findings.map((f) => [f.kind, f.severity, f.message]),
        ),
      );
    if (n.recommendations.length)
      io.out(
        textTable(
          ['recommendation', 'target', 'disrupts', 'PLE exits', 'useful time', 'confidence'],
          n.recommendations.map((r) => [
            r.kind,
            r.target,
            r.disruption ?? '–',
            `${pct(r.predicted.pleExits.change)} ± ${int(r.predicted.pleExits.ci95 * 100)}`,
            `${pct(r.predicted.usefulNs.change)} ± ${int(r.predicted.usefulNs.ci95 * 100)}`,
            r.confidence.toFixed(2),
          ]),
        ),
      );
    else io.out('no recommendation\n');
  }
}
