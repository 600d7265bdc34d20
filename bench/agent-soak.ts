import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { KafkaBus } from '../src/adapters/bus/kafka-bus';
import { startQmpServer } from '../src/agent/simulated-node/qmp-server';
import { codecs, TOPICS, type NodeSample } from '../src/telemetry';
import { brokersOf, startServices, stopServices, withKafkaDown } from '../deploy/dev/services';
import { qemuVersion, startGuest, type Guest } from '../deploy/dev/qemu-guest';
import { printTable } from './table';

const BIN = join(__dirname, '..', '..', 'bin', 'spinwise.js');

/** VmRSS of a process in MB, or null once it is gone. */
function rssMb(pid: number): number | null {
  const status = existsSync(`/proc/${pid}/status`) ? readFileSync(`/proc/${pid}/status`, 'utf8') : '';
  const kb = /^VmRSS:\s+(\d+) kB/m.exec(status)?.[1];
  return kb ? Number(kb) / 1024 : null;
}

interface Run {
  run: number;
  seconds: number;
  rssStartMb: number;
  rssEndMb: number;
  rssMaxMb: number;
  ended: string;
}

/**
 * The agent's soak run (issue 23): real QEMU/KVM guests — one with its own monitor, one whose
 * monitor is an endless line, one whose monitor never answers — a spool on a 48 KiB tmpfs, a
 * real broker that goes away for a while, and the agent SIGKILLed and restarted
 * (SPINWISE_SOAK_KILLS, default 5) over SPINWISE_SOAK_MINUTES (default 10). Prints each run's
 * memory and how it ended, and checks every sample that reached the broker: seqs in order,
 * duplicates counted. Not part of `npm run bench`'s default set: `npm run bench -- agent-soak`.
 */
export async function agentSoak(): Promise<void> {
  const minutes = Number(process.env.SPINWISE_SOAK_MINUTES ?? 10);
  const kills = Number(process.env.SPINWISE_SOAK_KILLS ?? 5);
  const dir = mkdtempSync(join(tmpdir(), 'spinwise-soak-'));
  const spoolDir = join(dir, 'spool');
  const socketDir = join(dir, 'sockets');
  mkdirSync(spoolDir);
  mkdirSync(socketDir);
  const stateFile = join(dir, 'services.json');
  const node = `soak-${randomUUID().slice(0, 8)}`;
  const guests: Guest[] = [];
  const servers: { close: () => Promise<void> }[] = [];
  let mounted = false;
  try {
    const mount = spawnSync('mount', ['-t', 'tmpfs', '-o', 'size=48k', 'tmpfs', spoolDir], {
      encoding: 'utf8',
    });
    if (mount.status !== 0) throw new Error(`a tmpfs for the spool needs root: ${mount.stderr}`);
    mounted = true;
    const state = await startServices(stateFile, { kube: false });
    const brokers = brokersOf(state);
    process.stderr.write(`soak: ${qemuVersion()}, Kafka ${brokers}, ${minutes} min, ${kills} kills\n`);
    guests.push(await startGuest({ dir, name: 'good', vcpus: 2 }));
    guests.push(await startGuest({ dir, name: 'endless', vcpus: 2, qmp: false }));
    guests.push(await startGuest({ dir, name: 'silent', vcpus: 1, qmp: false }));
    servers.push(await startQmpServer(join(socketDir, 'endless.sock'), 'endless'));
    servers.push(await startQmpServer(join(socketDir, 'silent.sock'), 'silent'));

    const runs: Run[] = [];
    const runMs = (minutes * 60_000) / (kills + 1);
    const endAt = Date.now() + minutes * 60_000;
    let down: Promise<unknown> | null = null;
    for (let run = 0; run <= kills; run++) {
      const child: ChildProcess = spawn(
        process.execPath,
        [
          BIN,
          'agent',
          '--node',
          node,
          '--interval',
          '1s',
          '--spool-dir',
          spoolDir,
          '--qmp-socket-dir',
          socketDir,
          '--qmp-timeout',
          '500ms',
        ],
        { env: { ...process.env, SPINWISE_KAFKA_BROKERS: brokers }, stdio: ['ignore', 'ignore', 'pipe'] },
      );
      let stderr = '';
      child.stderr!.on('data', (d: Buffer) => (stderr = (stderr + d.toString()).slice(-4000)));
      const exited = new Promise<string>((resolve) =>
        child.once('exit', (code, signal) => resolve(signal ? `signal ${signal}` : `exit ${code}`)),
      );
      const started = Date.now();
      const rss: number[] = [];
      const last = run === kills;
      // In the second run the broker goes away for a third of it: the tiny spool fills.
      if (run === 1) down = withKafkaDown(stateFile, () => new Promise((r) => setTimeout(r, runMs / 3)));
      const until = last ? endAt : started + runMs;
      let ended: string | null = null;
      void exited.then((how) => (ended = how));
      while (Date.now() < until && ended === null) {
        await new Promise((r) => setTimeout(r, 2_000));
        const mb = rssMb(child.pid!);
        if (mb !== null) rss.push(mb);
      }
      if (ended === null) child.kill(last ? 'SIGTERM' : 'SIGKILL');
      const how = await exited;
      runs.push({
        run: run + 1,
        seconds: Math.round((Date.now() - started) / 1000),
        rssStartMb: rss[1] ?? rss[0] ?? 0,
        rssEndMb: rss[rss.length - 1] ?? 0,
        rssMaxMb: Math.max(0, ...rss),
        ended:
          how === (last ? 'exit 0' : 'signal SIGKILL') ? how : `${how} (unexpected): ${stderr.slice(-300)}`,
      });
    }
    await down;

    const bus = new KafkaBus({ brokers: [brokers] });
    const seqs: number[] = [];
    const consumer = bus.consumer({
      groupId: `soak-${randomUUID()}`,
      topics: [TOPICS.samples],
      fromBeginning: true,
    });
    let quietSince = Date.now();
    await consumer.start(async (m) => {
      if (m.key !== node) return;
      seqs.push((codecs.sample.decode(m.value) as NodeSample).seq);
      quietSince = Date.now();
    });
    while (Date.now() - quietSince < 5_000) await new Promise((r) => setTimeout(r, 500));
    await consumer.stop();
    await bus.close();
    let backwards = 0;
    let duplicates = 0;
    const seen = new Set<number>();
    for (let i = 0; i < seqs.length; i++) {
      if (seen.has(seqs[i]!)) duplicates++;
      else if (i > 0 && seqs[i]! < Math.max(...seqs.slice(0, i))) backwards++;
      seen.add(seqs[i]!);
    }
    printTable(
      `agent soak: ${minutes} min on 3 real guests (${qemuVersion()}), monitors good / endless line / silent, spool on a 48 KiB tmpfs, the broker away for part of run 2, SIGKILLed ${kills} times`,
      ['run', 'seconds', 'RSS MB at start', 'RSS MB at end', 'RSS MB max', 'ended'],
      runs.map((r) => [r.run, r.seconds, r.rssStartMb, r.rssEndMb, r.rssMaxMb, r.ended]),
    );
    printTable(
      'agent soak: the samples the broker holds',
      [
        'samples',
        'distinct seqs',
        'first seq',
        'last seq',
        'duplicates (resent after a kill)',
        'out of order',
        'missing seqs',
      ],
      [
        [
          seqs.length,
          seen.size,
          Math.min(...seqs),
          Math.max(...seqs),
          duplicates,
          backwards,
          Math.max(...seqs) - Math.min(...seqs) + 1 - seen.size,
        ],
      ],
    );
  } finally {
    await Promise.all(servers.map((s) => s.close()));
    await Promise.all(guests.map((g) => g.stop()));
    await stopServices(stateFile).catch(() => undefined);
    if (mounted) spawnSync('umount', [spoolDir]);
    rmSync(dir, { recursive: true, force: true });
  }
}
