import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { Agent } from '../../src/agent/agent';
import { EventInstances } from '../../src/agent/collectors/tracefs/event-instances';
import { startQmpServer, type QmpBehaviour } from '../../src/agent/simulated-node/qmp-server';
import { HostRoot } from '../../src/agent/host-root';
import type { NodeSample } from '../../src/telemetry';
import { recordingSink } from '../support/recording-sink';
import { accelerator, qemuVersion, qmp, startGuest, type Guest } from '../../deploy/dev/qemu-guest';
import { sleep } from '../support/wait';

/** An agent over this machine's real / that keeps what it sends. */
function realAgent(options: { socketDir?: string; timeoutMs?: number } = {}) {
  const { sink, records, inventory } = recordingSink();
  const agent = new Agent({
    node: 'qemu-test',
    root: new HostRoot('/'),
    sink,
    clock: Date.now,
    qmp: { socketDir: options.socketDir, timeoutMs: options.timeoutMs ?? 1_000 },
  });
  return { agent, records, inventory };
}

const vcpusOf = (sample: NodeSample, vm: string) => sample.vcpus.filter((v) => v.vm === vm);
const reasonOf = (sample: NodeSample, signal: string) =>
  sample.missing.find((m) => m.signal === signal)?.reason ?? '';

describe(`agent on real QEMU guests (${accelerator()})`, () => {
  let dir: string;
  const guests: Guest[] = [];
  const guest = async (...args: Parameters<typeof startGuest>) => {
    const g = await startGuest(...args);
    guests.push(g);
    return g;
  };

  before(() => {
    dir = mkdtempSync(join(tmpdir(), 'spinwise-qemu-'));
    // The suite's output names what it ran against.
    const line = `${qemuVersion()}, -accel ${accelerator()}${accelerator() === 'tcg' ? ' (no usable /dev/kvm: software emulation)' : ''}`;
    process.stderr.write(`agent-qemu: ran against ${line}\n`);
  });
  after(async () => {
    await Promise.all(guests.map((g) => g.stop()));
    rmSync(dir, { recursive: true, force: true });
  });

  it('finds the guests and their vCPU threads, and samples schedstat deltas and QMP statistics per vCPU', async () => {
    const named = await guest({ dir, name: 'named', vcpus: 2 });
    const unnamed = await guest({ dir, name: 'unnamed', vcpus: 2, debugThreads: false });
    await guest({ dir, name: 'no-monitor', vcpus: 1, qmp: false });
    const { agent, inventory } = realAgent();
    await agent.start();
    await qmp(named, 'system_reset'); // the firmware runs again: CPU 0 busy
    await sleep(1_000);
    const sample = await agent.sample();
    await agent.stop();

    const inv = inventory();
    const vmOf = (name: string) => inv.vms.find((v) => v.name === name)!;
    assert.deepEqual(
      vmOf('named').vcpus.map((v) => v.tid),
      named.vcpuTids,
      'debug-threads names them: CPU n/KVM',
    );
    const cpus = (await qmp(unnamed, 'query-cpus-fast')) as { 'cpu-index': number; 'thread-id': number }[];
    assert.deepEqual(
      vmOf('unnamed').vcpus.map((v) => [v.index, v.tid]),
      cpus.map((c) => [c['cpu-index'], c['thread-id']]),
      'without debug-threads, QMP names the vCPU threads',
    );
    assert.equal(vmOf('no-monitor').vcpus.length, 1);
    for (const vm of ['named', 'unnamed', 'no-monitor'])
      assert.ok(vmOf(vm).startTicks! > 0, `${vm}: start time`);

    const busy = vcpusOf(sample, 'named');
    assert.equal(busy.length, 2);
    const ranNs = busy.reduce((a, v) => a + v.runNs!, 0);
    assert.ok(ranNs > 1e6, `the reset guest ran ${ranNs} ns`);
    for (const v of sample.vcpus)
      assert.ok(v.runNs! <= sample.intervalMs * 1.1e6 + 2e8, `${v.vm} CPU ${v.vcpu}: ${v.runNs} ns`);
    assert.ok(busy[0]!.exits! > 0, `KVM exits of CPU 0 from query-stats: ${busy[0]!.exits}`);
    for (const key of [
      'haltExits',
      'haltWakeup',
      'haltWaitNs',
      'directedYieldAttempted',
      'preemptionReported',
    ] as const)
      assert.equal(typeof busy[0]![key], 'number', `${key} from query-stats`);
    assert.equal(vcpusOf(sample, 'unnamed').length, 2, 'QMP-named threads are sampled too');
    assert.equal(vcpusOf(sample, 'no-monitor')[0]!.exits, undefined, 'no monitor, no QMP statistics');
    assert.match(reasonOf(sample, 'qmpStats'), /no QMP monitor on the command line .*: .*no-monitor/);
    assert.ok(!reasonOf(sample, 'qmpStats').includes('named,'), 'the guests with a monitor are not in it');
  });

  it('a guest killed and another started between samples, the same name restarted with a new pid: no phantom, no bogus delta', async () => {
    const stays = await guest({ dir, name: 'stays', vcpus: 1 });
    const killed = await guest({ dir, name: 'killed', vcpus: 1 });
    const renewed = await guest({ dir, name: 'renewed', vcpus: 1 });
    const { agent, inventory } = realAgent();
    await agent.start();
    await sleep(300);
    const first = await agent.sample();
    assert.deepEqual(
      ['killed', 'renewed', 'stays'].map((n) => vcpusOf(first, n).length),
      [1, 1, 1],
    );
    assert.equal(first.seriesRestarted, false);

    await killed.stop();
    await renewed.stop();
    await qmp(stays, 'system_reset');
    const again = await guest({ dir, name: 'renewed', vcpus: 1 });
    const newcomer = await guest({ dir, name: 'newcomer', vcpus: 2 });
    await sleep(500);
    const second = await agent.sample();
    const names = inventory().vms.map((v) => v.name);
    assert.ok(!names.includes('killed') && !names.some((n) => n.startsWith('qemu-')), `no phantom: ${names}`);
    assert.equal(inventory().vms.find((v) => v.name === 'renewed')!.pid, again.pid);
    assert.equal(second.seriesRestarted, true, 'a name that now belongs to another process');
    // A new process's first reading is its baseline: none of the old process's counters leak in.
    assert.equal(vcpusOf(second, 'renewed').length, 0);
    assert.equal(vcpusOf(second, 'newcomer').length, 0);
    assert.equal(vcpusOf(second, 'stays').length, 1);
    await sleep(300);
    const third = await agent.sample();
    await agent.stop();
    assert.deepEqual(
      vcpusOf(third, 'renewed').map((v) => v.tid),
      again.vcpuTids,
    );
    assert.deepEqual(
      vcpusOf(third, 'newcomer').map((v) => v.tid),
      newcomer.vcpuTids,
    );
    assert.equal(third.seriesRestarted, false);
    for (const v of [...second.vcpus, ...third.vcpus])
      assert.ok(v.runNs === undefined || v.runNs <= 2e9, `${v.vm}: ${v.runNs} ns in one interval`);
    await Promise.all([again.stop(), newcomer.stop(), stays.stop()]);
  });

  it('hostile, silent and stale monitors, and a name that would leave the socket directory, cost only their own VM', async () => {
    const socketDir = join(dir, 'sockets');
    execFileSync('mkdir', ['-p', socketDir]);
    await guest({ dir, name: 'good', vcpus: 1 });
    const hostile: QmpBehaviour[] = ['malformed', 'null', 'endless', 'silent', 'close'];
    const servers = [];
    for (const behaviour of hostile) {
      await guest({ dir, name: behaviour, vcpus: 1, qmp: false, paused: true });
      servers.push(await startQmpServer(join(socketDir, `${behaviour}.sock`), behaviour));
    }
    // A stale socket: its QEMU was SIGKILLed and the file stayed; the guest now runs without one.
    const gone = await startGuest({ dir: socketDir, name: 'stale', vcpus: 1 });
    await gone.stop();
    assert.ok(existsSync(join(socketDir, 'stale.sock')));
    await guest({ dir, name: 'stale', vcpus: 1, qmp: false, paused: true });
    await guest({ dir, name: '../escape', vcpus: 1, qmp: false, paused: true });
    try {
      const { agent } = realAgent({ socketDir, timeoutMs: 700 });
      await agent.start();
      await sleep(200);
      const sample = await agent.sample();
      await agent.stop();
      assert.equal(typeof vcpusOf(sample, 'good')[0]?.exits, 'number', 'the good guest is read');
      const reason = reasonOf(sample, 'qmpStats');
      for (const expected of [
        'malformed JSON from the monitor: malformed',
        'monitor sent something other than a QMP object: null',
        'answer over 4194304 bytes: endless',
        'no answer within 700 ms: silent',
        'closed before greeting: close',
        'ECONNREFUSED: stale',
        'name unusable as a socket file name: ../escape',
      ])
        assert.ok(
          reason.includes(expected) ||
            reason.includes(expected.replace('closed before greeting', 'monitor closed the connection')),
          `"${expected}" in "${reason}"`,
        );
      for (const name of [...hostile, 'stale', '../escape'])
        assert.equal(vcpusOf(sample, name).length, 1, `${name} is still sampled (schedstat)`);
    } finally {
      await Promise.all(servers.map((s) => s.close()));
    }
  });

  it('counting through a tracefs instance matches KVM’s own counter, event for event; PLE exits per VM where hist triggers fail', async () => {
    const mounted = existsSync('/sys/kernel/tracing/instances');
    if (!mounted) execFileSync('mount', ['-t', 'tracefs', 'nodev', '/sys/kernel/tracing']);
    try {
      // This kernel runs guests without VMX (no PAUSE exits to count), but emulates their
      // firmware: kvm_emulate_insn fires where KVM counts insn_emulation. The guest is paused
      // before each reading, so both counts cover exactly the same instructions.
      const g = await guest({ dir, name: 'counted', vcpus: 1, paused: true });
      const emulated = async () => {
        const stats = (await qmp(g, 'query-stats', {
          target: 'vcpu',
          providers: [{ provider: 'kvm', names: ['insn_emulation'] }],
        })) as { stats: { value: number }[] }[];
        return stats.reduce((a, v) => a + v.stats[0]!.value, 0);
      };
      const instances = new EventInstances(new HostRoot('/'), { event: 'kvm/kvm_emulate_insn' });
      assert.equal(instances.start(), null);
      const group = new Map([['counted', g.vcpuTids]]);
      const before = { ring: instances.read(group).counts.get('counted')!, kvm: await emulated() };
      await qmp(g, 'cont');
      await sleep(1_000);
      await qmp(g, 'stop');
      const after = { ring: instances.read(group).counts.get('counted')!, kvm: await emulated() };
      instances.stop();
      const kvm = after.kvm - before.kvm;
      const ring = after.ring - before.ring;
      process.stderr.write(`agent-qemu: ${ring} events counted in the ring buffers, ${kvm} by KVM\n`);
      assert.ok(kvm > 1_000, `the firmware ran: ${kvm} emulated instructions`);
      assert.equal(ring, kvm);
      assert.ok(
        !readdirSync('/sys/kernel/tracing/instances').some((d) => d.startsWith('spinwise-')),
        'instances removed',
      );

      // The agent on this kernel: hist triggers answer EINVAL, so PAUSE exits are counted per VM.
      await qmp(g, 'cont');
      const { agent } = realAgent();
      await agent.start();
      await sleep(300);
      const sample = await agent.sample();
      await agent.stop();
      assert.match(
        reasonOf(sample, 'pleExits'),
        /^per VM only, counted through tracefs instances \(cannot install hist trigger on kvm\/kvm_exit: EINVAL\)/,
      );
      assert.equal(sample.vms.find((v) => v.vm === 'counted')?.pleExits, 0, 'no PAUSE exits without VMX');
      assert.ok(!readdirSync('/sys/kernel/tracing/instances').some((d) => d.startsWith('spinwise-')));
    } finally {
      if (!mounted) execFileSync('umount', ['/sys/kernel/tracing']);
    }
  });

  it('debugfs mounted: EPERM on KVM’s statistics files is a missing signal with its reason, not an exit', async () => {
    const mounted = existsSync('/sys/kernel/debug/kvm');
    if (!mounted) execFileSync('mount', ['-t', 'debugfs', 'nodev', '/sys/kernel/debug']);
    try {
      const g = await guest({ dir, name: 'debugfs-guest', vcpus: 1, qmp: false, paused: true });
      const { agent } = realAgent();
      await agent.start();
      await sleep(200);
      const sample = await agent.sample();
      await agent.stop();
      const entry = readFileSync('/proc/self/mounts', 'utf8').includes(' /sys/kernel/debug debugfs ');
      assert.ok(entry, 'debugfs is mounted for this test');
      const kvmDirs = execFileSync('ls', ['/sys/kernel/debug/kvm']).toString();
      assert.match(kvmDirs, new RegExp(`^${g.pid}-\\d+$`, 'm'), 'KVM made the VM its debugfs directory');
      assert.match(
        reasonOf(sample, 'kvmStats'),
        /E(PERM|ACCES) on debugfs kvm\/<pid>-<fd>\/ \(lockdown or a security module\): .*debugfs-guest/,
      );
      assert.equal(vcpusOf(sample, 'debugfs-guest').length, 1, 'the VM is sampled all the same');
      assert.ok(agent.collectErrors > 0);
    } finally {
      if (!mounted) execFileSync('umount', ['/sys/kernel/debug']);
    }
  });
});
