import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { HostRoot } from '../../host-root';
import { MissingReport } from '../../missing-report';
import { testDataDir } from '../../test-data-dir';
import { parseQemuCmdline } from '../procfs/qemu-cmdline';
import type { QemuProcess } from '../procfs/qemu-processes';
import { collectQmpStats, DEFAULT_QMP, monitorSocket, VCPU_STATS } from './qmp-stats';
import { startQmpServer, type QmpBehaviour } from '../../simulated-node/qmp-server';

const answer = (file: string) =>
  (JSON.parse(readFileSync(testDataDir(__dirname, file), 'utf8')) as { return: unknown }).return;
const qemuReply = (command: { execute: string }) =>
  command.execute === 'query-cpus-fast' ? answer('query-cpus-fast.json') : answer('query-stats.json');

/** A QEMU as procfs found it; `id` makes its identity. It runs in this process (whose root is /). */
const vm = (name: string, id: number, socket?: string): QemuProcess => ({
  pid: process.pid,
  key: `${id}@1`,
  name,
  vcpus: [],
  monitor: socket ? { path: socket, heldByLibvirt: false } : null,
  pv: null,
  unnamedVcpus: false,
});

describe('QMP statistics', () => {
  it('reads per-vCPU KVM stats through query-stats, asking only for the statistics samples carry', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'spinwise-qmp-'));
    const qemu = await startQmpServer(join(dir, 'default_web-1.sock'), 'qemu', qemuReply);
    try {
      const report = new MissingReport();
      const result = await collectQmpStats(
        new HostRoot('/'),
        [vm('default_web-1', 10, join(dir, 'default_web-1.sock')), vm('other-vm', 11)],
        DEFAULT_QMP,
        report,
      );
      assert.deepEqual(result.byVm.get('10@1'), [
        {
          index: 0,
          tid: 4250,
          stats: {
            exits: 812345,
            haltExits: 5021,
            haltWakeup: 4990,
            directedYieldAttempted: 66,
            directedYieldSuccessful: 61,
          },
        },
        {
          index: 1,
          tid: 4251,
          stats: { haltExits: 17, haltWakeup: 9, directedYieldAttempted: 0, directedYieldSuccessful: 0 },
        },
      ]);
      assert.deepEqual(qemu.commands[2], {
        execute: 'query-stats',
        arguments: { target: 'vcpu', providers: [{ provider: 'kvm', names: Object.values(VCPU_STATS) }] },
      });
      assert.deepEqual(report.list(), [
        {
          signal: 'qmpStats',
          reason: 'no QMP monitor on the command line (-qmp unix:PATH) and no --qmp-socket-dir: other-vm',
        },
      ]);
    } finally {
      await qemu.close();
    }
  });

  it('hostile monitors cost only their own VM, each with its reason, and are queried in parallel', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'spinwise-qmp-hostile-'));
    const behaviours: QmpBehaviour[] = [
      'qemu',
      'malformed',
      'null',
      'endless',
      'silent',
      'close',
      'old-qemu',
    ];
    const servers = await Promise.all(
      behaviours.map((b) => startQmpServer(join(dir, `${b}.sock`), b, qemuReply)),
    );
    // Four more silent monitors: one after another they would take 5 × the timeout.
    for (let i = 0; i < 4; i++) servers.push(await startQmpServer(join(dir, `silent-${i}.sock`), 'silent'));
    const names = [...behaviours, 'silent-0', 'silent-1', 'silent-2', 'silent-3'];
    try {
      const report = new MissingReport();
      const started = Date.now();
      const result = await collectQmpStats(
        new HostRoot('/'),
        names.map((name, i) => vm(name, 100 + i, join(dir, `${name}.sock`))),
        { ...DEFAULT_QMP, timeoutMs: 600, maxAnswerBytes: 1 << 20 },
        report,
      );
      const tookMs = Date.now() - started;
      assert.ok(tookMs < 5 * 600, `5 silent monitors took ${tookMs} ms: queried one after another`);
      assert.equal(result.byVm.get('100@1')?.length, 2, 'the good VM is read whatever the others do');
      assert.deepEqual(
        result.byVm.get('106@1')?.map((v) => [v.index, v.tid, v.stats]),
        [
          [0, 4250, {}],
          [1, 4251, {}],
        ],
        'a QEMU before 7.1 still names its vCPU threads',
      );
      const reason = report.list().find((m) => m.signal === 'qmpStats')!.reason;
      for (const expected of [
        'malformed JSON from the monitor: malformed',
        'monitor sent something other than a QMP object: null',
        'answer over 1048576 bytes: endless',
        'no answer within 600 ms: silent, silent-0, silent-1 and 2 more',
        'monitor closed the connection: close',
        'query-stats refused (QEMU before 7.1?): old-qemu',
      ])
        assert.ok(reason.includes(expected), `"${expected}" in "${reason}"`);
      assert.ok(reason.length <= 480, `${reason.length} characters`);
      assert.equal(result.errors, 9);
    } finally {
      await Promise.all(servers.map((s) => s.close()));
    }
  });

  it('finds the monitor on the command line, never outside the socket directory, and leaves libvirt’s alone', () => {
    const root = new HostRoot('/host');
    const withQmp = (args: string[]): QemuProcess => ({
      ...vm('vm', 5),
      pid: 5,
      monitor: parseQemuCmdline(['qemu-system-x86_64', ...args].join('\0')).monitor,
    });
    assert.deepEqual(
      monitorSocket(root, withQmp(['-qmp', 'unix:/run/q/vm.sock,server=on,wait=off']), undefined),
      {
        path: '/host/proc/5/root/run/q/vm.sock',
      },
    );
    assert.deepEqual(
      monitorSocket(
        root,
        withQmp([
          '-chardev',
          'socket,id=mon0,path=/run/a,,b.sock,server=on',
          '-mon',
          'chardev=mon0,mode=control',
        ]),
        undefined,
      ),
      { path: '/host/proc/5/root/run/a,b.sock' },
    );
    const libvirt = withQmp([
      '-chardev',
      'socket,id=charmonitor,fd=31,server=on,wait=off',
      '-mon',
      'chardev=charmonitor,id=monitor,mode=control',
    ]);
    assert.deepEqual(libvirt.monitor, { path: null, heldByLibvirt: true }, 'left to the libvirt path');
    assert.deepEqual(monitorSocket(root, { ...vm('../etc/x', 6) }, '/qmp'), {
      reason: 'name unusable as a socket file name',
    });
    assert.deepEqual(monitorSocket(root, { ...vm('..', 6) }, '/qmp'), {
      reason: 'name unusable as a socket file name',
    });
    assert.deepEqual(monitorSocket(root, vm('default_web-1', 7), '/qmp'), {
      path: '/qmp/default_web-1.sock',
    });
  });
});
