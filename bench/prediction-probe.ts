import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import type * as AnalyzeNode from '../src/advisor/domain/analyze-node';
import type { Prediction } from '../src/advisor/domain/predict';
import type * as WhatIfs from '../src/advisor/domain/what-ifs';
import type * as WindowSampleModule from '../src/advisor/domain/window-sample';
import type { RecommendationKind } from '../src/telemetry';
import type { NodeInventory, NodeSample } from '../src/telemetry';

/** One node's window as the prediction bench hands it to a build. */
export interface ProbeNode {
  inventory: NodeInventory;
  samples: NodeSample[];
}

/** What a build made of one node: its fit's and its what-ifs' CPU time, and every prediction. */
export interface ProbeResult {
  node: string;
  fitCpuS: number;
  predictCpuS: number;
  predictions: Record<string, Prediction>;
  /** Each what-if's kind, by id: what decides whether its prediction is worth recommending. */
  kinds: Record<string, RecommendationKind>;
}

const cpuSeconds = (since: NodeJS.CpuUsage) => {
  const used = process.cpuUsage(since);
  return (used.user + used.system) / 1e6;
};

/**
 * The advisor's model side of one build, in its own process: `node prediction-probe.js ROOT FILE`
 * fits and predicts every node of FILE with the build at ROOT (this checkout or an earlier commit
 * built by `baselineBuild`) and prints the CPU each took and the predictions as JSON.
 */
async function probe(root: string, file: string): Promise<void> {
  const analyze: typeof AnalyzeNode = await import(
    join(root, 'dist', 'src', 'advisor', 'domain', 'analyze-node')
  );
  const { windowSample }: typeof WindowSampleModule = await import(
    join(root, 'dist', 'src', 'advisor', 'domain', 'window-sample')
  );
  const { whatIfCandidates }: typeof WhatIfs = await import(
    join(root, 'dist', 'src', 'advisor', 'domain', 'what-ifs')
  );
  const nodes = JSON.parse(readFileSync(file, 'utf8')) as ProbeNode[];
  const results: ProbeResult[] = nodes.map(({ inventory, samples }) => {
    const { request } = analyze.prepareAnalysis(inventory, samples.map(windowSample));
    let since = process.cpuUsage();
    const calibration = analyze.calibrateNode(request);
    const fitCpuS = cpuSeconds(since);
    since = process.cpuUsage();
    // `replayWhatIfs` since issue 20's noise; an earlier build (the bench's "before") has `predictNode`.
    const earlier = analyze as unknown as { predictNode?: (...a: unknown[]) => Map<string, Prediction> };
    const predictions = earlier.predictNode
      ? earlier.predictNode(calibration, request.oversubscribed, request.worst)
      : analyze.replayWhatIfs(calibration, request.oversubscribed, request.worst).predictions;
    return {
      node: inventory.node,
      fitCpuS,
      predictCpuS: cpuSeconds(since),
      predictions: Object.fromEntries(predictions),
      kinds: Object.fromEntries(
        whatIfCandidates(calibration, request.oversubscribed, request.worst).map((c) => [c.id, c.kind]),
      ),
    };
  });
  process.stdout.write(JSON.stringify(results));
}

if (require.main === module) void probe(process.argv[2]!, process.argv[3]!);
