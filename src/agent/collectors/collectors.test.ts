import assert from 'node:assert/strict';
import { cp, mkdtemp, readFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { HostRoot } from '../host-root';
import { testDataDir } from '../test-data-dir';
import { collectHostInfo } from './host/host-info';
import { collectKvmDebugfs } from './kvm-debugfs/kvm-debugfs';
import { spawn } from 'node:child_process';
import { readdir } from 'node:fs/promises';
import { kubevirtIdentityOfDomain } from './procfs/proc-formats';
import { collectQemuProcesses, ProcfsCache, readVcpuThread } from './procfs/qemu-processes';

import { MissingReport } from '../missing-report';
import { parseHist } from './tracefs/hist-format';
import { KvmTracefs } from './tracefs/kvm-triggers';
import { eventsWritten } from './tracefs/event-instances';

const data = (collector: string, ...parts: string[]) => testDataDir(join(__dirname, collector), ...parts);

describe('collectors on captured kernel formats', () => {
  it('procfs: QEMU processes, vCPU threads, schedstat and status; malformed files are counted', async () => {
    const report = new MissingReport();
    const result = await collectQemuProcesses(
      new HostRoot(data('procfs', 'host')),
      report,
      new ProcfsCache(),
    );
    assert.equal(result.errors, 1, 'the garbage schedstat of CPU 1/KVM');
    assert.deepEqual(result.vms, [
      {
        pid: 4242,
        key: '4242@12222',
        startTicks: 12222,
        name: 'default_web-1',
        monitor: null,
        pv: { tlbFlush: false, schedYield: false, ipi: false, spinlocks: false },
        unnamedVcpus: false,
        podUid: '6b8a1c2e-3f4d-4a5b-9c8d-112233445566',
        vcpus: [
          {
            index: 0,
            tid: 4250,
            runNs: 9876543210,
            waitNs: 123456789,
            timeslices: 4321,
            affinity: [0, 1, 2, 3, 4, 5, 6, 7],
            voluntarySwitches: 1500,
            involuntarySwitches: 320,
          },
          { index: 1, tid: 4251, affinity: [2, 5, 6], voluntarySwitches: 7, involuntarySwitches: 9 },
        ],
      },
    ]);
    assert.deepEqual(report.list(), [
      { signal: 'schedstat', reason: 'malformed schedstat: default_web-1 CPU 1' },
    ]);
    assert.deepEqual(kubevirtIdentityOfDomain('default_web-1'), { namespace: 'default', vmi: 'web-1' });
    assert.equal(kubevirtIdentityOfDomain('plain-libvirt-guest'), null);
  });

  it('tracefs: hist output per thread and per (sender, destination), malformed lines counted', async () => {
    const exits = parseHist(await readFile(data('tracefs', 'kvm_exit.hist'), 'utf8'));
    assert.deepEqual(exits.entries, [
      { keys: { common_pid: 4250 }, hitcount: 12045 },
      { keys: { common_pid: 4251 }, hitcount: 310 },
    ]);
    assert.equal(exits.errors, 1);
    const ipis = parseHist(await readFile(data('tracefs', 'kvm_apic_ipi.hist'), 'utf8'));
    assert.deepEqual(
      ipis.entries.map((e) => [e.keys.common_pid, e.keys.dest_id, e.hitcount]),
      [
        [4250, 1, 55],
        [4250, 3, 4],
        [4251, 0, 17],
      ],
    );
  });

  it('tracefs: installs its hist triggers, reads them, and removes exactly what it installed', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'spinwise-tracefs-'));
    const events = join(dir, 'sys', 'kernel', 'tracing', 'events', 'kvm');
    for (const e of ['kvm_exit', 'kvm_ple_window_update', 'kvm_apic_ipi'])
      await cp(data('tracefs', 'kvm_exit.hist'), join(events, e, 'hist'));
    await cp(data('tracefs', 'kvm_apic_ipi.hist'), join(events, 'kvm_apic_ipi', 'hist'));
    const tracefs = new KvmTracefs(new HostRoot(dir), 'vmx');
    await tracefs.start();
    const counts = await tracefs.read();
    assert.equal(counts.pleExits?.get(4250), 12045);
    assert.equal(counts.ipis?.get('4250:3'), 4);
    assert.deepEqual(counts.missing, []);
    await tracefs.stop();
    const trigger = await readFile(join(events, 'kvm_exit', 'trigger'), 'utf8');
    assert.equal(
      trigger,
      'hist:keys=common_pid:vals=hitcount:sort=common_pid:size=8192 if exit_reason==40\n!hist:keys=common_pid:vals=hitcount:sort=common_pid:size=8192 if exit_reason==40\n',
    );
  });

  it('tracefs: removes the triggers a killed agent left behind before installing its own (no EEXIST, no leak)', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'spinwise-tracefs-'));
    const events = join(dir, 'sys', 'kernel', 'tracing', 'events', 'kvm');
    for (const e of ['kvm_exit', 'kvm_ple_window_update', 'kvm_apic_ipi'])
      await cp(data('tracefs', 'kvm_exit.hist'), join(events, e, 'hist'));
    // What the kernel lists in `trigger` for the PAUSE-exit histogram an earlier agent installed.
    await cp(data('tracefs', 'kvm_exit.trigger'), join(events, 'kvm_exit', 'trigger'));
    const tracefs = new KvmTracefs(new HostRoot(dir), 'vmx');
    await tracefs.start();
    assert.equal(tracefs.removedAtStart, 1);
    const counts = await tracefs.read();
    assert.equal(counts.pleExits?.get(4250), 12045, 'the PLE signal is there, not missing until reboot');
    assert.deepEqual(counts.missing, []);
    const spec = 'hist:keys=common_pid:vals=hitcount:sort=common_pid:size=8192 if exit_reason==40';
    const leftBehind = await readFile(data('tracefs', 'kvm_exit.trigger'), 'utf8');
    assert.equal(
      await readFile(join(events, 'kvm_exit', 'trigger'), 'utf8'),
      `${leftBehind}!${spec}\n${spec}\n`,
      'the old one removed first: adding it while present would fail with EEXIST',
    );
    // A crash: the process's exit handler removes them synchronously.
    tracefs.removeNow();
    assert.match(
      await readFile(join(events, 'kvm_exit', 'trigger'), 'utf8'),
      new RegExp(`\\n!${spec.replace(/[|=]/g, '.')}\\n$`),
    );
    await tracefs.stop();
  });

  it('tracefs instances: the events a ring buffer took are entries + overrun + dropped + read (per_cpu/cpuN/stats)', async () => {
    // Captured on Linux 6.18 from an instance counting a real guest's kvm_emulate_insn.
    assert.equal(eventsWritten(await readFile(data('tracefs', 'per_cpu_stats'), 'utf8')), 181 + 3964188);
    assert.equal(eventsWritten('entries: 3\noverrun: x\n'), null);
  });

  it('tracefs: reports every signal missing, with the reason, when there is no tracefs', async () => {
    const tracefs = new KvmTracefs(new HostRoot(await mkdtemp(join(tmpdir(), 'spinwise-notrace-'))), 'svm');
    await tracefs.start();
    const counts = await tracefs.read();
    assert.deepEqual(
      counts.missing.map((m) => m.signal),
      ['pleExits', 'pleWindow', 'ipis'],
    );
    assert.match(counts.missing[0]!.reason, /no tracefs with kvm events/);
  });

  it('host: kernel, scheduler era, topology, PLE parameters, IPI virtualisation and yld_count', async () => {
    const intel = await collectHostInfo(new HostRoot(data('host', 'intel')));
    assert.deepEqual(
      { ...intel, missing: intel.missing.length },
      {
        kernel: '5.15.0-91-generic',
        scheduler: 'cfs',
        cpuVendor: 'intel',
        pcpus: 4,
        topology: { sockets: 1, coresPerSocket: 2, threadsPerCore: 2 },
        ple: { vendor: 'vmx', enabled: true, gap: 128, window: 4096, grow: 2, shrink: 0, max: 4294967295 },
        ipiVirtualized: true,
        haltPollNs: 200000,
        yieldCount: 157,
        errors: 0,
        missing: 0,
      },
    );
    const amd = await collectHostInfo(new HostRoot(data('host', 'amd')));
    assert.equal(amd.scheduler, 'eevdf');
    assert.deepEqual(amd.ple, {
      vendor: 'svm',
      enabled: false,
      gap: 128,
      window: 0,
      grow: 2,
      shrink: 0,
      max: 65535,
    });
    assert.equal(amd.ipiVirtualized, false);
    assert.equal(amd.haltPollNs, null, 'no kvm module parameters in this tree: unknown, not zero');
    assert.deepEqual(amd.missing, [
      { signal: 'hostYields', reason: '/proc/schedstat absent (CONFIG_SCHEDSTATS off)' },
    ]);
  });

  it('kvm debugfs: per-VM stats, a malformed file counted', async () => {
    const { vms, errors } = await collectKvmDebugfs(new HostRoot(data('kvm-debugfs')));
    assert.equal(errors, 1);
    assert.deepEqual(vms.get(4242), {
      pid: 4242,
      exits: 812345,
      haltExits: 5021,
      haltWakeup: 4990,
      directedYieldAttempted: 66,
      directedYieldSuccessful: 61,
    });
  });

  it('procfs cache: 100 rounds of thread churn leave only the threads seen last', () => {
    const cache = new ProcfsCache();
    for (let round = 0; round < 100; round++) {
      for (let t = 0; t < 50; t++) cache.threads.set(`4242@${round}/${t}`, t % 2 ? t : null);
      cache.threads.get(`4242@${round - 1}/3`); // one thread of the previous round lives on
      cache.endSnapshot();
    }
    assert.equal(cache.threads.size, 51);
    assert.equal(cache.threads.get('4242@98/3'), 3);
    assert.equal(cache.threads.get('4242@0/3'), undefined);
  });

  it('procfs on this machine’s live /proc: no QEMU is a clean, empty result', async () => {
    const report = new MissingReport();
    const result = await collectQemuProcesses(new HostRoot('/'), report, new ProcfsCache());
    assert.deepEqual(
      result.vms.filter((vm) => vm.name !== 'never'),
      [],
    );
    assert.equal(result.errors, 0);
    assert.deepEqual(report.list(), []);
  });

  it('procfs: reads schedstat and status of real threads of a process this test starts', async () => {
    const child = spawn(process.execPath, [
      '-e',
      'const t = Date.now(); while (Date.now() - t < 300); setTimeout(() => {}, 20000)',
    ]);
    try {
      await new Promise((r) => setTimeout(r, 400));
      const tids = (await readdir(`/proc/${child.pid}/task`)).map(Number);
      assert.ok(tids.length > 1, 'node runs several threads');
      const report = new MissingReport();
      for (const tid of tids) {
        const read = await readVcpuThread(new HostRoot('/'), child.pid!, tid, 0, 'node', report);
        assert.equal(read!.errors, 0);
        const t = read!.thread;
        assert.ok(t.affinity.length > 0 && t.timeslices! >= 1 && t.voluntarySwitches! >= 0);
      }
      const main = await readVcpuThread(new HostRoot('/'), child.pid!, child.pid!, 0, 'node', report);
      assert.ok(main!.thread.runNs! > 100_000_000, `the busy main thread ran ${main!.thread.runNs} ns`);
      assert.deepEqual(report.list(), []);
    } finally {
      child.kill();
    }
  });
});
