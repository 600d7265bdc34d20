import { advisorBench } from './advisor-bench';
import { advisorThroughputBench } from './advisor-throughput-bench';
import { agentBench } from './agent-bench';
import { agentSoak } from './agent-soak';
import { busStoreBench } from './bus-store-bench';
import { predictionBench } from './prediction-bench';
import { simBench } from './sim-bench';
import { simSameBench } from './sim-same';
import { validationBench } from './validation-bench';
import { output, tables } from './table';

/**
 * `npm run bench [-- name…] [--json]`: every benchmark, or the named ones; each prints its own
 * tables, and with `--json` stdout carries one JSON document of every table (the text goes to stderr).
 */
const BENCHES: Record<string, () => Promise<void>> = {
  sim: simBench,
  'sim-same': simSameBench,
  agent: agentBench,
  advisor: advisorBench,
  predict: predictionBench,
  'advisor-throughput': advisorThroughputBench,
  'bus-store': busStoreBench,
  'agent-soak': agentSoak,
  validation: validationBench,
};
/** Run only when named: minutes long and needs root and QEMU/KVM (agent-soak), or a check of a change against a commit (sim-same). */
const OPT_IN = new Set(['agent-soak', 'sim-same']);

async function run(args: string[]): Promise<void> {
  output.json = args.includes('--json');
  const names = args.filter((a) => a !== '--json');
  const chosen = names.length ? names : Object.keys(BENCHES).filter((n) => !OPT_IN.has(n));
  const results: Record<string, typeof tables> = {};
  for (const name of chosen) {
    const bench = BENCHES[name];
    if (!bench) throw new Error(`unknown benchmark "${name}"; known: ${Object.keys(BENCHES).join(', ')}`);
    const before = tables.length;
    await bench();
    results[name] = tables.slice(before);
  }
  if (output.json)
    process.stdout.write(
      `${JSON.stringify({ generatedAt: new Date().toISOString(), benches: results }, null, 2)}\n`,
    );
}

run(process.argv.slice(2)).catch((err: Error) => {
  process.stderr.write(`bench: ${err.stack ?? err.message}\n`);
  process.exitCode = 1;
});
