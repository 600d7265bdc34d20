import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import { chmodSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { connect, type Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { Agent } from '../../src/agent/agent';
import { HostRoot } from '../../src/agent/host-root';
import type { NodeSample } from '../../src/telemetry';
import { recordingSink } from '../support/recording-sink';
import { tidOf, writeFakeHost, writeFakeQemu, type FakeQemu } from '../support/fake-host';
import { sleep, waitFor } from '../support/wait';

const BIN = join(__dirname, '..', '..', '..', 'bin', 'spinwise.js');
const reasonOf = (sample: NodeSample, signal: string) =>
  sample.missing.find((m) => m.signal === signal)?.reason ?? '';

/** The agent in-process over a fake host root, on a clock the test moves. */
function fakeHostAgent(root: string) {
  const { sink, inventory, lastSample } = recordingSink();
  let now = 1_700_000_000_000;
  const agent = new Agent({
    node: 'fake-host',
    root: new HostRoot(root),
    sink,
    clock: () => now,
    qmp: { timeoutMs: 300 },
  });
  return {
    agent,
    /** Advances the clock by a second and samples; the sample as it was sent (encoded, so validated). */
    sample: async () => {
      now += 1_000;
      await agent.sample();
      return lastSample();
    },
    inventory,
  };
}

describe('the agent on hosts that do not cooperate', () => {
  it('EACCES (no CAP_DAC_OVERRIDE) on a thread’s schedstat, a cmdline, a /proc/<pid>, a thread list and /proc/schedstat: missing signals, never an exit', () => {
    const root = mkdtempSync(join(tmpdir(), 'spinwise-eacces-'));
    const qemus: FakeQemu[] = [
      { pid: 4100, name: 'vm-a', vcpus: 2 },
      { pid: 4200, name: 'vm-b', vcpus: 1 },
      { pid: 4300, name: 'vm-c', vcpus: 1 },
      { pid: 4400, name: 'vm-d', vcpus: 1 },
    ];
    writeFakeHost(root, qemus);
    chmodSync(join(root, `proc/4100/task/${tidOf(qemus[0]!, 0)}/schedstat`), 0o000);
    chmodSync(join(root, 'proc/4200/cmdline'), 0o000);
    chmodSync(join(root, 'proc/4300'), 0o000);
    chmodSync(join(root, 'proc/4400/task'), 0o000);
    chmodSync(join(root, 'proc/schedstat'), 0o000);
    // Root reads any file whatever its mode; without these capabilities it is refused, as a
    // security module refuses the agent on a real host.
    const caps = '-dac_override,-dac_read_search';
    const run = spawnSync(
      'setpriv',
      [
        '--bounding-set',
        caps,
        '--inh-caps',
        caps,
        '--',
        process.execPath,
        BIN,
        'agent',
        '--host-root',
        root,
        '--node',
        'eacces',
        '--intervals',
        '2',
        '--interval',
        '100ms',
        '--stdout',
      ],
      { encoding: 'utf8', timeout: 60_000 },
    );
    assert.equal(run.status, 0, run.stderr);
    const lines = run.stdout
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l) as { schema: string });
    const samples = lines.filter((l) => l.schema === 'spinwise.sample.v1') as NodeSample[];
    assert.equal(samples.length, 2);
    const last = samples[1]!;
    assert.match(reasonOf(last, 'schedstat'), /EACCES on schedstat: vm-a CPU 0/);
    assert.match(reasonOf(last, 'schedstat'), /EACCES listing threads: vm-d/);
    assert.match(reasonOf(last, 'vmIdentity'), /EACCES on cmdline: qemu-4200/);
    assert.match(reasonOf(last, 'vmIdentity'), /EACCES reading process files: pid 4300/);
    assert.match(reasonOf(last, 'hostYields'), /EACCES on \/proc\/schedstat/);
    const vcpus = last.vcpus.map((v) => `${v.vm}/${v.vcpu}:${v.runNs ?? '-'}`);
    assert.deepEqual(vcpus, ['vm-a/0:-', 'vm-a/1:0', 'qemu-4200/0:0'], 'what could be read is sampled');
  });

  it('40 VMs with KubeVirt-length names and no monitor, and a -name of 300 characters: bounded reasons, the sample passes its schema', async () => {
    const root = mkdtempSync(join(tmpdir(), 'spinwise-many-'));
    const qemus: FakeQemu[] = Array.from({ length: 40 }, (_, i) => ({
      pid: 5000 + i * 10,
      name: `tenant-namespace-${String(i).padStart(3, '0')}_windows-server-2022-database-replica-${i}`,
      vcpus: 1,
      qmpSocket: `/var/run/qemu/missing-${i}.sock`,
    }));
    qemus.push({ pid: 9000, name: 'x'.repeat(300), vcpus: 1 });
    writeFakeHost(root, qemus);
    const { agent, sample, inventory } = fakeHostAgent(root);
    await agent.start();
    const s = await sample();
    const qmpReason = reasonOf(s, 'qmpStats');
    assert.ok(qmpReason.length <= 480, `${qmpReason.length} characters`);
    assert.match(
      qmpReason,
      /^ENOENT: tenant-namespace-000_windows-server-2022-databa…, tenant-namespace-001.+… and 37 more; /,
    );
    const long = inventory().vms.find((v) => v.name.startsWith('xxx'))!;
    assert.equal(long.name.length, 253);
    assert.match(long.name, /~[0-9a-f]{12}$/);
    assert.match(reasonOf(s, 'vmIdentity'), /name of 300 characters shortened: x+…/);
    assert.equal(s.vcpus.length, 41, 'every VM sampled');
  });

  it('a dying QEMU, a reused pid, two guests of one name, garbage and 2^64−1 in schedstat: no phantom, no stale cache, no bogus delta', async () => {
    const root = mkdtempSync(join(tmpdir(), 'spinwise-churn-'));
    const a: FakeQemu = { pid: 6100, name: 'vm-a', vcpus: 2, startTicks: 500 };
    const dupOld: FakeQemu = { pid: 6200, name: 'dup', vcpus: 1, startTicks: 100 };
    const dupNew: FakeQemu = { pid: 6300, name: 'dup', vcpus: 1, startTicks: 200 };
    const dying: FakeQemu = { pid: 6400, name: 'dying', vcpus: 1 };
    writeFakeHost(root, [a, dupOld, dupNew, dying]);
    const cpu0 = join(root, `proc/6100/task/${tidOf(a, 0)}/schedstat`);
    const { agent, sample, inventory } = fakeHostAgent(root);
    await agent.start();

    // Exiting: the kernel shows an empty command line, a zombie state and no address space.
    writeFileSync(join(root, 'proc/6400/cmdline'), '');
    writeFileSync(
      join(root, 'proc/6400/stat'),
      readFileSync(join(root, 'proc/6400/stat'), 'utf8')
        .replace(') S ', ') Z ')
        .replace(/ 7400 680398848 /, ' 7400 0 '),
    );
    writeFileSync(cpu0, '1234 garbage\n');
    const first = await sample();
    const names = inventory()
      .vms.map((v) => v.name)
      .sort();
    assert.deepEqual(
      names,
      ['dup', 'dup@6300', 'vm-a'],
      'no phantom qemu-6400; the younger "dup" is told apart',
    );
    assert.equal(first.seriesRestarted, false);
    assert.equal(first.vcpus.find((v) => v.vm === 'vm-a' && v.vcpu === 0)!.runNs, undefined);
    assert.match(reasonOf(first, 'schedstat'), /malformed schedstat: vm-a CPU 0/);

    writeFileSync(cpu0, '1500000000 2256665 60\n');
    const second = await sample();
    assert.equal(
      second.vcpus.find((v) => v.vm === 'vm-a' && v.vcpu === 0)!.runNs,
      undefined,
      'the whole cumulative counter is never one interval’s delta',
    );
    assert.match(reasonOf(second, 'schedstat'), /runNs restarts from a new baseline .*: vm-a CPU 0/);
    assert.equal(second.seriesRestarted, false, 'two guests of one name do not restart the series');

    writeFileSync(cpu0, '1900000000 2256665 64\n');
    writeFileSync(join(root, `proc/6100/task/${tidOf(a, 1)}/schedstat`), '18446744073709551615 0 0\n');
    const third = await sample();
    const [c0, c1] = ['0', '1'].map((i) => third.vcpus.find((v) => v.vm === 'vm-a' && String(v.vcpu) === i)!);
    assert.equal(c0!.runNs, 400_000_000);
    assert.equal(c1!.runNs, undefined);
    assert.match(reasonOf(third, 'schedstat'), /malformed schedstat: vm-a CPU 1/);

    // A new QEMU gets pid 6100 (another start time); its threads are unnamed (no debug-threads)
    // and one has a tid the old process's CPU 0 had: a cache keyed by pid alone would call it a vCPU.
    writeFakeQemu(root, { pid: 6100, name: 'reborn', vcpus: 2, startTicks: 9_000, debugThreads: false });
    const fourth = await sample();
    const reborn = inventory().vms.find((v) => v.pid === 6100)!;
    assert.equal(reborn.name, 'reborn');
    assert.equal(reborn.startTicks, 9_000);
    assert.deepEqual(reborn.vcpus, [], 'not the old process’s vCPUs');
    assert.equal(
      fourth.seriesRestarted,
      false,
      'vm-a is gone and "reborn" is new: no series of a name restarts',
    );
    assert.ok(!fourth.vcpus.some((v) => v.vm === 'vm-a' || v.vm === 'reborn'));
    assert.match(
      reasonOf(fourth, 'vmIdentity'),
      /vCPU threads unnamed \(no -name debug-threads=on\) and no QMP to name them: reborn/,
    );
    await agent.stop();
  });

  it('thousands of slow connections to the metrics endpoint: refused past its cap, the agent keeps sampling and answering', async () => {
    const root = mkdtempSync(join(tmpdir(), 'spinwise-flood-'));
    writeFakeHost(root, [{ pid: 7100, name: 'vm', vcpus: 1 }]);
    // A descriptor limit well under the flood: without a cap, accepting it would hit EMFILE.
    const child = spawn(
      'sh',
      [
        '-c',
        `ulimit -n 256 && exec "${process.execPath}" "${BIN}" agent --host-root "${root}" --node flood --interval 200ms --stdout --metrics-port 0`,
      ],
      { stdio: ['ignore', 'ignore', 'pipe'] },
    );
    let err = '';
    child.stderr.on('data', (d: Buffer) => (err += d.toString()));
    const sockets: Socket[] = [];
    try {
      await waitFor('the metrics endpoint', () => /on 127\.0\.0\.1:(\d+)/.test(err), 30_000);
      const port = Number(/on 127\.0\.0\.1:(\d+)/.exec(err)![1]);
      for (let i = 0; i < 2_000; i++) {
        const s = connect(port, '127.0.0.1');
        s.on('error', () => undefined);
        s.on('connect', () => s.write('GET /metrics HTTP/1.1\r\nHost: x\r\n')); // never finished
        sockets.push(s);
        if (i % 200 === 0) await sleep(20);
      }
      await sleep(1_000);
      assert.equal(child.exitCode, null, `the agent is alive: ${err}`);
      for (const s of sockets) s.destroy();
      await sleep(300);
      const text = await (await fetch(`http://127.0.0.1:${port}/metrics`)).text();
      const samples = Number(/spinwise_agent_samples_total\{node="flood"\} (\d+)/.exec(text)?.[1]);
      assert.ok(samples >= 3, `still sampling: ${samples}`);
    } finally {
      for (const s of sockets) s.destroy();
      child.kill('SIGTERM');
      const code = await new Promise((r) => child.once('exit', (c) => r(c)));
      assert.equal(code, 0, err);
    }
  });
});
