import { windowSample } from '../src/advisor/domain/window-sample';
import { codecs, type NodeSample } from '../src/telemetry';

const heapMb = () => {
  global.gc!();
  return process.memoryUsage().heapUsed / 1048576;
};

/**
 * What the advisor's heap holds per owned node for its 5-minute window: the samples as decoded off
 * the wire (what the window kept before), and the per-VM sums it keeps now, side by side for the
 * same nodes' windows. Needs `--expose-gc` (the bench script passes it).
 */
export function windowMemory(windows: NodeSample[][]): (string | number)[][] {
  const wire = windows.map((w) => w.map((s) => codecs.sample.encode(s)));
  const vcpus = windows.reduce((a, w) => a + w[0]!.vcpus.length, 0) / windows.length;
  const measure = (label: string, keep: (bytes: Buffer) => object) => {
    const before = heapMb();
    const held = wire.map((w) => w.map(keep));
    const mb = (heapMb() - before) / held.length;
    return [label, windows.length, Math.round(vcpus), windows[0]!.length, mb, (mb * 1000) / 1024];
  };
  return [
    measure('decoded samples (before)', (b) => codecs.sample.decode(b)),
    measure('per-VM sums (now)', (b) => windowSample(codecs.sample.decode(b))),
  ];
}
