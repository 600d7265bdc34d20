import { readFileSync } from 'node:fs';
import { parseArgs } from 'node:util';
import { analyzeNode } from '../advisor/domain/analyze-node';
import { codecs, type NodeInventory, type NodeSample } from '../telemetry';
import { CliError, type CliIo } from './cli-error';
import { int, pct, textTable } from './text-table';

interface NodeRecording {
  inventory?: NodeInventory;
  samples: Map<number, NodeSample>;
}

/**
 * `spinwise replay <telemetry.jsonl> [--json]`: recorded agent output (inventories and samples, one
 * JSON document a line, as `spinwise agent --stdout` writes) in; findings and recommendations out.
 * Invalid lines are reported by number and skipped; duplicates by (node, seq) are absorbed.
 */
export async function replayCommand(argv: string[], io: CliIo): Promise<number> {
  const { values, positionals } = parseArgs({
    args: argv,
    allowPositionals: true,
    options: { json: { type: 'boolean', default: false } },
  });
  const file = positionals[0];
  if (!file) throw new CliError('missing <telemetry.jsonl> (record one with `spinwise agent --stdout`)');
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (err) {
    throw new CliError(
      `cannot read ${file}: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}`,
    );
  }
  const nodes = new Map<string, NodeRecording>();
  const skipped: { line: number; reason: string }[] = [];
  text.split('\n').forEach((line, i) => {
    if (!line.trim()) return;
    const kind = /"schema"\s*:\s*"spinwise\.(sample|inventory)\.v1"/.exec(line)?.[1];
    try {
      if (kind === 'inventory') {
        const inv = codecs.inventory.decode(line);
        const rec: NodeRecording = nodes.get(inv.node) ?? { samples: new Map() };
        rec.inventory = inv;
        nodes.set(inv.node, rec);
      } else {
        const sample = codecs.sample.decode(line);
        const rec: NodeRecording = nodes.get(sample.node) ?? { samples: new Map() };
        rec.samples.set(sample.seq, sample);
        nodes.set(sample.node, rec);
      }
    } catch (err) {
      skipped.push({ line: i + 1, reason: (err as Error).message });
    }
  });
  for (const s of skipped) io.err(`replay: ${file}:${s.line}: skipped: ${s.reason}\n`);
  const out = [...nodes]
    .sort(([a], [b]) => a.localeCompare(b))
    .flatMap(([name, rec]) => {
      if (!rec.inventory) {
        io.err(`replay: node ${name} has samples but no inventory line; skipped\n`);
        return [];
      }
      const samples = [...rec.samples.values()].sort((a, b) => a.seq - b.seq);
      const a = analyzeNode(rec.inventory, samples);
      return [
        {
          name,
          kernel: a.kernel,
          model: a.model,
          severity: a.severity,
          oversubscription: a.oversubscription,
          samples: a.samples,
          calibration: { residual: a.residual, assumptions: a.assumptions },
          findings: a.findings,
          recommendations: a.recommendations,
        },
      ];
    });
  if (out.length === 0) throw new CliError(`${file}: no node with an inventory and samples`);
  if (values.json) {
    io.out(`${JSON.stringify({ nodes: out, skipped })}\n`);
    return 0;
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
          ['recommendation', 'target', 'PLE exits', 'useful time', 'confidence'],
          n.recommendations.map((r) => [
            r.kind,
            r.target,
            `${pct(r.predicted.pleExits.change)} ± ${int(r.predicted.pleExits.ci95 * 100)}`,
            `${pct(r.predicted.usefulNs.change)} ± ${int(r.predicted.usefulNs.ci95 * 100)}`,
            r.confidence.toFixed(2),
          ]),
        ),
      );
    else io.out('no recommendation\n');
  }
  return 0;
}
