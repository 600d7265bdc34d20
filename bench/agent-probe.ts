import { Agent } from '../src/agent/agent';
import { HostRoot } from '../src/agent/host-root';
import type { Sink } from '../src/agent/sinks/sink';

/**
 * The agent alone, in its own process, against a prepared host root: `node agent-probe.js DIR N
 * INTERVAL_MS [--no-qmp]` takes N samples and prints its CPU per sample and peak RSS as JSON.
 */
async function probe(dir: string, samples: number, intervalMs: number, qmp: boolean): Promise<void> {
  let bytes = 0;
  const sink: Sink = {
    write: (r) => void (bytes += r.reduce((a, x) => a + x.value.length, 0)),
    flush: async () => {},
    close: async () => {},
    lastDeliveredMs: null,
  };
  const agent = new Agent({
    node: 'bench',
    root: new HostRoot(dir),
    sink,
    clock: Date.now,
    ...(qmp ? {} : { qmp: false }),
  });
  await agent.start();
  for (let i = 0; i < 3; i++) await agent.sample(); // warm-up: JIT and caches, not measured
  const cpuBefore = process.cpuUsage();
  const wallBefore = process.hrtime.bigint();
  let busyWallNs = 0n;
  for (let i = 0; i < samples; i++) {
    await new Promise((r) => setTimeout(r, intervalMs));
    const t = process.hrtime.bigint();
    await agent.sample();
    busyWallNs += process.hrtime.bigint() - t;
  }
  const cpu = process.cpuUsage(cpuBefore);
  const wallMs = Number(process.hrtime.bigint() - wallBefore) / 1e6;
  await agent.stop();
  process.stdout.write(
    JSON.stringify({
      cpuMsPerSample: (cpu.user + cpu.system) / 1000 / samples,
      wallMsPerSample: Number(busyWallNs) / 1e6 / samples,
      cpuShareOfCore: (cpu.user + cpu.system) / 1000 / wallMs,
      maxRssMb: process.resourceUsage().maxRSS / 1024,
      bytesPerSample: bytes / samples,
    }),
  );
}

probe(
  process.argv[2]!,
  Number(process.argv[3] ?? 5),
  Number(process.argv[4] ?? 1000),
  !process.argv.includes('--no-qmp'),
).catch((err: Error) => {
  process.stderr.write(`${err.stack}\n`);
  process.exitCode = 1;
});
