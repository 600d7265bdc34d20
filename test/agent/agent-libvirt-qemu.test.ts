import assert from 'node:assert/strict';
import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { qemuBinary, qemuVersion } from '../../deploy/dev/qemu-guest';
import { Agent } from '../../src/agent/agent';
import { HostRoot } from '../../src/agent/host-root';
import { recordingSink } from '../support/recording-sink';
import { sleep, waitFor } from '../support/wait';

const virsh = () => process.env.SPINWISE_VIRSH ?? 'virsh';
const SOCKET = '/var/run/libvirt/libvirt-sock-ro';

/** libvirtd answering on its socket: the machine's own, or one this test starts as a process. */
async function libvirtd(): Promise<ChildProcess | null> {
  const answers = () => {
    try {
      execFileSync(virsh(), ['--connect', 'qemu:///system', 'version'], { stdio: 'ignore', timeout: 5_000 });
      return true;
    } catch {
      return false;
    }
  };
  if (existsSync(SOCKET) && answers()) return null;
  const daemon = spawn(process.env.SPINWISE_LIBVIRTD ?? 'libvirtd', [], { stdio: 'ignore' });
  await waitFor('libvirtd to answer', answers, 30_000);
  return daemon;
}

describe('agent on a libvirt host: the monitor is libvirt’s, the statistics come from libvirt', () => {
  let daemon: ChildProcess | null = null;
  const domain = `spinwise-lv-${randomUUID().slice(0, 8)}`;
  const dir = mkdtempSync(join(tmpdir(), 'spinwise-libvirt-'));

  before(async () => {
    daemon = await libvirtd();
    const version = execFileSync(virsh(), ['--version']).toString().trim();
    process.stderr.write(`agent-libvirt: libvirt ${version}, ${qemuVersion()}\n`);
    // A transient diskless domain: libvirt starts QEMU with its monitor on a descriptor it holds.
    const xml = join(dir, 'domain.xml');
    writeFileSync(
      xml,
      `<domain type='kvm'><name>${domain}</name><memory unit='MiB'>64</memory><vcpu>2</vcpu>
       <os><type arch='x86_64' machine='pc'>hvm</type></os>
       <devices><emulator>${qemuBinary()}</emulator></devices></domain>`,
    );
    execFileSync(virsh(), ['--connect', 'qemu:///system', 'create', xml], { stdio: 'ignore' });
  });
  after(async () => {
    try {
      execFileSync(virsh(), ['--connect', 'qemu:///system', 'destroy', domain], { stdio: 'ignore' });
    } finally {
      if (daemon) {
        daemon.kill('SIGTERM');
        await new Promise((r) => daemon!.once('exit', r));
      }
      rmSync(dir, { recursive: true, force: true });
    }
  });

  const run = async (libvirt: boolean) => {
    const { sink, inventory } = recordingSink();
    const agent = new Agent({
      node: 'libvirt-host',
      root: new HostRoot('/'),
      sink,
      clock: Date.now,
      ...(libvirt ? {} : { libvirt: false as const }),
    });
    await agent.start();
    await sleep(1_000);
    const sample = await agent.sample();
    await agent.stop();
    return { sample, inventory: inventory() };
  };

  it('reads per-vCPU KVM statistics through virsh domstats, never opening the monitor libvirt holds', async () => {
    const { sample, inventory } = await run(true);
    const vm = inventory.vms.find((v) => v.name === domain)!;
    assert.equal(vm.vcpus.length, 2, 'libvirt names the vCPU threads (debug-threads=on)');
    const vcpus = sample.vcpus.filter((v) => v.vm === domain);
    assert.equal(vcpus.length, 2);
    assert.ok(
      vcpus.every((v) => typeof v.exits === 'number' && typeof v.haltWaitNs === 'number'),
      JSON.stringify(vcpus),
    );
    const reason = sample.missing.find((m) => m.signal === 'qmpStats')?.reason ?? '';
    assert.ok(!reason.includes(domain), `nothing missing for the libvirt domain: ${reason}`);
  });

  it('without the libvirt path, the VM says why its KVM statistics are missing', async () => {
    const { sample } = await run(false);
    assert.match(
      sample.missing.find((m) => m.signal === 'qmpStats')?.reason ?? '',
      new RegExp(`monitor held by libvirt, and libvirt turned off \\(--no-libvirt\\): .*${domain}`),
    );
    assert.equal(sample.vcpus.filter((v) => v.vm === domain).length, 2, 'schedstat all the same');
  });
});
