import { advisorBench } from './advisor-bench';
import { advisorThroughputBench } from './advisor-throughput-bench';
import { agentBench } from './agent-bench';
import { busStoreBench } from './bus-store-bench';
import { simBench } from './sim-bench';

/** `npm run bench [-- name…]`: every benchmark, or the named ones; each prints its own table. */
const BENCHES: Record<string, () => Promise<void>> = {
  sim: simBench,
  agent: agentBench,
  advisor: advisorBench,
  'advisor-throughput': advisorThroughputBench,
  'bus-store': busStoreBench,
};

async function run(names: string[]): Promise<void> {
  const chosen = names.length ? names : Object.keys(BENCHES);
  for (const name of chosen) {
    const bench = BENCHES[name];
    if (!bench) throw new Error(`unknown benchmark "${name}"; known: ${Object.keys(BENCHES).join(', ')}`);
    await bench();
  }
}

run(process.argv.slice(2)).catch((err: Error) => {
  process.stderr.write(`bench: ${err.stack ?? err.message}\n`);
  process.exitCode = 1;
});
