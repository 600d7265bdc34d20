import { freePort } from '../../deploy/dev/free-port';
import { startDemo, type Demo, type DemoOptions } from '../../src/demo/demo';

/**
 * `spinwise demo` sped up for tests: three nodes on a free port, a 100 ms sample every 100 ms of
 * wall time, an analysis every five samples.
 */
export async function startFastDemo(options: Partial<DemoOptions> = {}): Promise<Demo> {
  return startDemo({
    port: await freePort(),
    nodes: 3,
    tickMs: 100,
    sampleNs: 100_000_000,
    analysisIntervalMs: 500,
    ...options,
  });
}
