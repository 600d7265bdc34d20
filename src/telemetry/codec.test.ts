import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import { LIMITS } from './primitives';
import {
  codecs,
  ValidationError,
  type AlertMessage,
  type NodeAnalysis,
  type NodeFindings,
  type NodeInventory,
  type NodeSample,
} from './index';

const nodeName = fc.stringMatching(/^[a-z0-9]([-a-z0-9.]{0,20}[a-z0-9])?$/);
const text = fc.string({ minLength: 1, maxLength: 30 });
const counter = fc.nat({ max: Number.MAX_SAFE_INTEGER });
const maybe = <T>(arb: fc.Arbitrary<T>) => fc.option(arb, { nil: undefined });
const change = fc.record({
  change: fc.double({ min: -1, max: 10, noNaN: true }),
  ci95: fc.double({ min: 0, max: 1, noNaN: true }),
});

const sample: fc.Arbitrary<NodeSample> = fc.record({
  schema: fc.constant('spinwise.sample.v1' as const),
  node: nodeName,
  seq: counter,
  timestampMs: counter,
  intervalMs: fc.integer({ min: 1, max: 3_600_000 }),
  seriesRestarted: fc.boolean(),
  vcpus: fc.array(
    fc.record(
      {
        vm: text,
        vcpu: fc.nat(512),
        tid: fc.integer({ min: 1, max: 4_194_304 }),
        runNs: maybe(counter),
        waitNs: maybe(counter),
        timeslices: maybe(counter),
        pleExits: maybe(counter),
        haltExits: maybe(counter),
        ipisSent: maybe(fc.array(fc.record({ toVcpu: fc.nat(512), count: counter }), { maxLength: 4 })),
      },
      { requiredKeys: ['vm', 'vcpu', 'tid'] },
    ),
    { maxLength: 8 },
  ),
  vms: fc.array(
    fc.record(
      {
        vm: text,
        pid: fc.integer({ min: 1, max: 4_194_304 }),
        haltExits: maybe(counter),
        directedYieldAttempted: maybe(counter),
      },
      { requiredKeys: ['vm', 'pid'] },
    ),
    { maxLength: 3 },
  ),
  host: fc.record({ yieldCount: maybe(counter) }, { requiredKeys: [] }),
  agent: fc.record({ spoolBytes: counter, droppedSamples: counter }),
  missing: fc.array(
    fc.record({
      signal: fc.constantFrom('pleExits' as const, 'kvmStats' as const, 'ipis' as const),
      reason: text,
    }),
    { maxLength: 3 },
  ),
});

const inventory: fc.Arbitrary<NodeInventory> = fc.record({
  schema: fc.constant('spinwise.inventory.v1' as const),
  node: nodeName,
  timestampMs: counter,
  kernel: text,
  scheduler: fc.constantFrom('cfs' as const, 'eevdf' as const),
  cpuVendor: fc.constantFrom('intel' as const, 'amd' as const, 'unknown' as const),
  pcpus: fc.integer({ min: 1, max: 1024 }),
  topology: fc.record({
    sockets: fc.integer({ min: 1, max: 8 }),
    coresPerSocket: fc.integer({ min: 1, max: 128 }),
    threadsPerCore: fc.integer({ min: 1, max: 2 }),
  }),
  ple: fc.option(
    fc.record({
      vendor: fc.constantFrom('vmx' as const, 'svm' as const),
      enabled: fc.boolean(),
      gap: counter,
      window: counter,
      grow: counter,
      shrink: counter,
      max: counter,
    }),
    { nil: null },
  ),
  ipiVirtualized: fc.option(fc.boolean(), { nil: null }),
  vms: fc.array(
    fc.record({
      name: text,
      pid: fc.integer({ min: 1, max: 4_194_304 }),
      vcpus: fc.array(
        fc.record({
          index: fc.nat(64),
          tid: fc.integer({ min: 1, max: 4_194_304 }),
          affinity: fc.array(fc.nat(255), { maxLength: 4 }),
        }),
        { maxLength: 4 },
      ),
    }),
    { maxLength: 3 },
  ),
});

const agentStatus = fc.record({
  lastSampleMs: counter,
  intervalMs: fc.integer({ min: 1, max: 3_600_000 }),
  gaps: counter,
  missing: fc.array(
    fc.record({ signal: fc.constantFrom('pleExits' as const, 'ipis' as const), reason: text }),
    {
      maxLength: 2,
    },
  ),
  spoolBytes: counter,
  droppedSamples: counter,
});

const observedVm = fc.record({
  name: text,
  vcpus: fc.integer({ min: 1, max: 512 }),
  pleExitsPerVcpuSecond: fc.option(fc.double({ min: 0, max: 1e6, noNaN: true }), { nil: null }),
  spinShare: fc.option(fc.double({ min: 0, max: 1, noNaN: true }), { nil: null }),
  waitShare: fc.option(fc.double({ min: 0, max: 1, noNaN: true }), { nil: null }),
  throttledRatio: fc.option(fc.double({ min: 0, max: 1, noNaN: true }), { nil: null }),
});

const finding = fc.record({
  kind: fc.constantFrom('ple-rate' as const, 'spin-share' as const),
  severity: fc.constantFrom('info' as const, 'critical' as const),
  value: fc.double({ noNaN: true, noDefaultInfinity: true }),
  threshold: fc.double({ noNaN: true, noDefaultInfinity: true }),
  message: text,
});

const analysis: fc.Arbitrary<NodeAnalysis> = fc.record(
  {
    schema: fc.constant('spinwise.analysis.v1' as const),
    node: nodeName,
    windowStartMs: counter,
    windowEndMs: counter,
    samples: counter,
    newFromSeq: counter,
    lastSeq: counter,
    kernel: text,
    model: text,
    severity: fc.constantFrom('ok' as const, 'warning' as const, 'critical' as const),
    oversubscription: fc.double({ min: 0, max: 64, noNaN: true }),
    pcpus: fc.integer({ min: 1, max: 4096 }),
    residual: fc.double({ min: 0, max: 10, noNaN: true }),
    vms: fc.array(
      fc
        .tuple(
          observedVm,
          fc.record({
            pinning: fc.constantFrom('none' as const, 'dedicated' as const),
            busy: fc.double({ min: 0, max: 1, noNaN: true }),
            burstUs: fc.double({ min: 1, max: 1e6, noNaN: true }),
            locksPerSecond: fc.double({ min: 0, max: 1e6, noNaN: true }),
            holdUs: fc.double({ min: 0.1, max: 1e3, noNaN: true }),
            ipisPerSecond: fc.double({ min: 0, max: 1e6, noNaN: true }),
            ipiTargets: fc.integer({ min: 1, max: 64 }),
          }),
        )
        .map(([vm, workload]) => ({ ...vm, workload })),
      { maxLength: 2 },
    ),
    whatIfs: fc.array(
      fc.record({
        kind: fc.constantFrom('kernel' as const, 'ple' as const, 'placement' as const),
        target: text,
        pleExits: change,
        usefulNs: change,
        spinNs: change,
      }),
      { maxLength: 2 },
    ),
    findings: fc.array(finding, { maxLength: 3 }),
    recommendations: fc.array(
      fc.record({
        kind: fc.constantFrom('kernel' as const, 'ple' as const, 'placement' as const, 'move' as const),
        summary: text,
        target: text,
        predicted: fc.record({ pleExits: change, usefulNs: change }),
        confidence: fc.double({ min: 0, max: 1, noNaN: true }),
        brokenAssumptions: fc.array(text, { maxLength: 2 }),
        evidence: fc.array(text, { maxLength: 2 }),
      }),
      { maxLength: 2 },
    ),
    replica: nodeName,
    agent: agentStatus,
  },
  {
    requiredKeys: [
      'schema',
      'node',
      'windowStartMs',
      'windowEndMs',
      'samples',
      'newFromSeq',
      'lastSeq',
      'kernel',
      'model',
      'severity',
      'oversubscription',
      'pcpus',
      'residual',
      'vms',
      'whatIfs',
      'findings',
      'recommendations',
    ],
  },
);

const findings: fc.Arbitrary<NodeFindings> = fc.record({
  schema: fc.constant('spinwise.findings.v1' as const),
  node: nodeName,
  windowStartMs: counter,
  windowEndMs: counter,
  samples: counter,
  kernel: text,
  severity: fc.constantFrom('ok' as const, 'warning' as const, 'critical' as const),
  oversubscription: fc.double({ min: 0, max: 64, noNaN: true }),
  pcpus: fc.integer({ min: 1, max: 4096 }),
  vms: fc.array(observedVm, { maxLength: 2 }),
  findings: fc.array(finding, { maxLength: 3 }),
  replica: nodeName,
  agent: agentStatus,
});

const alert: fc.Arbitrary<AlertMessage> = fc.record({
  schema: fc.constant('spinwise.alert.v1' as const),
  node: nodeName,
  transition: fc.constantFrom('raised' as const, 'cleared' as const),
  finding,
  vms: fc.array(text, { maxLength: 4 }),
  atMs: counter,
  replica: nodeName,
});

/** Every leaf path of a JSON value, so a test can corrupt one field at a time. */
function leafPaths(value: unknown, path: (string | number)[] = []): (string | number)[][] {
  if (Array.isArray(value)) return value.flatMap((v, i) => leafPaths(v, [...path, i]));
  if (value !== null && typeof value === 'object')
    return Object.entries(value).flatMap(([k, v]) => leafPaths(v, [...path, k]));
  return [path];
}

const cases = [
  ['sample', codecs.sample, sample],
  ['inventory', codecs.inventory, inventory],
  ['analysis', codecs.analysis, analysis],
  ['alert', codecs.alert, alert],
  ['findings', codecs.findings, findings],
] as const;

describe('wire codecs', () => {
  for (const [name, codec, arb] of cases) {
    it(`${name}: every valid message round-trips byte-identically`, () => {
      fc.assert(
        fc.property(arb as fc.Arbitrary<unknown>, (message) => {
          const bytes = (codec.encode as (m: unknown) => Buffer)(message);
          const again = (codec.encode as (m: unknown) => Buffer)(codec.decode(bytes));
          assert.equal(again.toString('hex'), bytes.toString('hex'));
        }),
        { numRuns: 300 },
      );
    });

    it(`${name}: random byte corruption is rejected with a ValidationError or decodes to a valid message, never a crash`, () => {
      fc.assert(
        fc.property(
          arb as fc.Arbitrary<unknown>,
          fc.nat(),
          fc.integer({ min: 0, max: 255 }),
          (message, at, byte) => {
            const bytes = Buffer.from((codec.encode as (m: unknown) => Buffer)(message));
            bytes[at % bytes.length] = byte;
            try {
              const decoded = codec.decode(bytes);
              (codec.encode as (m: unknown) => Buffer)(decoded);
            } catch (err) {
              assert.ok(
                err instanceof ValidationError,
                `unexpected ${(err as Error).name}: ${(err as Error).message}`,
              );
            }
          },
        ),
        { numRuns: 500 },
      );
    });

    it(`${name}: a field of the wrong type is rejected with its path in the message`, () => {
      fc.assert(
        fc.property(arb as fc.Arbitrary<unknown>, fc.nat(), (message, pick) => {
          const json = JSON.parse(JSON.stringify(message)) as Record<string, unknown>;
          const paths = leafPaths(json).filter((p) => p.length > 0);
          const path = paths[pick % paths.length]!;
          let parent: Record<string | number, unknown> = json;
          for (const part of path.slice(0, -1)) parent = parent[part] as Record<string | number, unknown>;
          const leaf = path[path.length - 1]!;
          // A value no field of any schema accepts.
          parent[leaf] = { corrupted: true };
          const field = path
            .map((p) => (typeof p === 'number' ? `[${p}]` : `.${p}`))
            .join('')
            .replace(/^\./, '');
          assert.throws(
            () => codec.decode(JSON.stringify(json)),
            // A nullable object field (`ple: null`) reports the object's own keys under its path.
            (err: Error) =>
              err instanceof ValidationError &&
              (err.message.includes(`${field}: got {"corrupted":true}`) ||
                err.message.includes(`${field}: unknown key`)),
          );
        }),
        { numRuns: 300 },
      );
    });
  }

  it('names the field, the value and the expectation', () => {
    const bad = {
      schema: 'spinwise.sample.v1',
      node: 'Node_1',
      seq: -1,
      timestampMs: 1,
      intervalMs: 0,
      seriesRestarted: false,
      vcpus: [],
      vms: [],
      host: {},
      agent: { spoolBytes: 0, droppedSamples: 0 },
      missing: [],
      extra: 1,
    };
    assert.throws(
      () => codecs.sample.decode(JSON.stringify(bad)),
      (err: Error) => {
        assert.match(err.message, /^sample \(spinwise\.samples\.v1\): /);
        assert.match(err.message, /node: got "Node_1", expected a DNS-1123 name/);
        assert.match(err.message, /seq: got -1, expected ≥ 0/);
        assert.match(err.message, /intervalMs: got 0, expected > 0/);
        assert.match(err.message, /unknown key "extra"/);
        return true;
      },
    );
  });

  it('refuses arrays beyond real hardware’s bounds without printing them', () => {
    const vcpu = (i: number) => ({ vm: 'vm', vcpu: i, tid: 1_000 + i });
    const sample = (vcpus: number) =>
      JSON.stringify({
        schema: 'spinwise.sample.v1',
        node: 'kvm-1',
        seq: 0,
        timestampMs: 1,
        intervalMs: 10_000,
        seriesRestarted: false,
        vcpus: Array.from({ length: vcpus }, (_, i) => vcpu(i)),
        vms: [],
        host: {},
        agent: { spoolBytes: 0, droppedSamples: 0 },
        missing: [],
      });
    assert.equal(codecs.sample.decode(sample(LIMITS.nodeVcpus)).vcpus.length, LIMITS.nodeVcpus);
    assert.throws(
      () => codecs.sample.decode(sample(100_000)),
      (err: Error) => {
        assert.match(err.message, /vcpus: got 100000 items, expected at most 16384 items/);
        assert.ok(err.message.length < 400, 'the message stays short');
        return true;
      },
    );
  });
});
