import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdtempSync, readdirSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { main } from '../../src/cli/main';
import { parseScenarioYaml } from '../../src/sim/scenario';
import { simulate } from '../../src/sim/simulate';

const ROOT = join(__dirname, '..', '..', '..');
const BIN = join(ROOT, 'bin', 'spinwise.js');
const PAPER = join(ROOT, 'scenarios', 'paper-four-8vcpu-vms.yaml');
const COMMANDS = ['demo', 'simulate', 'compare', 'replay', 'agent', 'advisor', 'roundtrip'];

async function run(...argv: string[]): Promise<{ code: number; out: string; err: string }> {
  let out = '';
  let err = '';
  const code = await main(argv, { out: (t) => (out += t), err: (t) => (err += t) });
  return { code, out, err };
}

/** A user's mistake: exit 2, nothing on stdout, exactly one line on stderr, no stack frame. */
function assertOneLineError(r: { code: number; out: string; err: string }, pattern: RegExp): void {
  assert.equal(r.code, 2, r.err);
  assert.equal(r.out, '');
  assert.equal(r.err.split('\n').filter(Boolean).length, 1, `one line, got:\n${r.err}`);
  assert.doesNotMatch(r.err, /\n\s+at /);
  assert.match(r.err, pattern);
}

function tempFile(name: string, text: string): string {
  const file = join(mkdtempSync(join(tmpdir(), 'spinwise-cli-')), name);
  writeFileSync(file, text);
  return file;
}

describe('spinwise CLI manners', () => {
  it('every command answers --help and -h on stdout with every option documented', async () => {
    for (const command of COMMANDS)
      for (const flag of ['--help', '-h']) {
        const r = await run(command, flag);
        assert.equal(r.code, 0, `${command} ${flag}: ${r.err}`);
        assert.match(r.out, new RegExp(`^Usage: spinwise ${command}`), command);
        // Every option line carries a description after the flag.
        for (const line of r.out.split('\n').filter((l) => /^\s+-/.test(l)))
          assert.match(
            line,
            /^\s+(-\w, )?--?[\w-]+( <[^>]+>)?\s{2,}\S/,
            `${command}: undocumented option "${line}"`,
          );
      }
    const agent = (await run('agent', '--help')).out;
    for (const option of ['--spool-dir', '--spool-max-bytes', '--qmp-socket-dir', '--model', '--speed'])
      assert.ok(agent.includes(option), `agent --help lists ${option}`);
    assert.ok((await run('advisor', '--help')).out.includes('--host'), 'advisor --help lists --host');
    const top = await run('--help');
    for (const command of COMMANDS) assert.ok(top.out.includes(command), `top-level help lists ${command}`);
  });

  it('prints the version, from the program and from every command', async () => {
    for (const argv of [['--version'], ['-V'], ...COMMANDS.map((c) => [c, '--version'])]) {
      const r = await run(...argv);
      assert.equal(r.code, 0, argv.join(' '));
      assert.match(r.out, /^\d+\.\d+\.\d+\n$/, argv.join(' '));
    }
  });

  it('suggests the nearest command or option for a typo', async () => {
    assertOneLineError(await run('simulat', PAPER), /unknown command 'simulat' \(did you mean simulate\?\)/);
    assertOneLineError(
      await run('simulate', PAPER, '--modle', 'ple-kvm'),
      /unknown option '--modle' \(did you mean --model\?\)/,
    );
    assertOneLineError(
      await run('compare', PAPER, '--models', 'stock-5.6,ple-kmv'),
      /unknown model "ple-kmv" \(did you mean ple-kvm\?\)/,
    );
    for (const command of COMMANDS)
      assertOneLineError(
        await run(command, '--no-such-option'),
        new RegExp(`spinwise ${command}: unknown option '--no-such-option'`),
      );
  });

  it('refuses bad numbers and durations, naming the option and giving an example', async () => {
    const cases: [string[], RegExp][] = [
      [['agent', '--interval', '-5s'], /'--interval <duration>' argument '-5s' is invalid.*e\.g\. 10s/],
      [['agent', '--interval', '0s'], /'--interval <duration>'.*e\.g\. 10s/],
      [['agent', '--interval', '10'], /'--interval <duration>'.*with a unit/],
      [['agent', '--spool-max-bytes', 'abc'], /'--spool-max-bytes <size>'.*e\.g\. 67108864 or 64Mi/],
      [['agent', '--intervals', '0'], /'--intervals <n>'.*integer ≥ 1/],
      [['agent', '--speed', 'fast'], /'--speed <x>'.*"max"/],
      [['demo', '--port', '70000'], /'--port <n>'.*0–65535/],
      [['demo', '--nodes', '1e3'], /'--nodes <k>'.*1–100/],
      [['simulate', PAPER, '--seed', '-1'], /'--seed <n>'.*integer/],
      [['compare', PAPER, '--seeds', 'many'], /'--seeds <k>'.*1–1000/],
      [['replay', PAPER, '--workers', '0'], /'--workers <n>'/],
      [['advisor', '--analysis-workers', '0'], /'--analysis-workers <n>'.*1–256, e\.g\. 4/],
    ];
    for (const [argv, pattern] of cases) assertOneLineError(await run(...argv), pattern);
  });

  it('says file errors in words, and bad YAML without a dangling colon', async () => {
    assertOneLineError(
      await run('simulate', '/nonexistent.yaml'),
      /^spinwise simulate: no such file: \/nonexistent\.yaml\n$/,
    );
    assertOneLineError(await run('compare', tmpdir()), /is a directory, not a file/);
    assertOneLineError(await run('replay', '/nonexistent.jsonl'), /no such file: \/nonexistent\.jsonl/);
    assertOneLineError(
      await run('agent', '--simulate', '/nonexistent.yaml', '--once', '--stdout'),
      /no such file: \/nonexistent\.yaml/,
    );
    const badYaml = tempFile('bad.yaml', 'host:\n  pcpus: [1\n');
    for (const argv of [
      ['simulate', badYaml],
      ['compare', badYaml],
      ['agent', '--simulate', badYaml, '--once', '--stdout'],
    ]) {
      const bad = await run(...argv);
      assertOneLineError(bad, /not valid YAML: .*at line \d+, column \d+\n$/);
      assert.doesNotMatch(bad.err, /:\n$/);
    }
    const notJsonl = await run('replay', tempFile('bad.jsonl', 'not json\n'));
    assert.equal(notJsonl.code, 2);
    assert.match(notJsonl.err, /bad\.jsonl:1: skipped: .*\n.*no node with an inventory and samples\n$/);
    assertOneLineError(await run('simulate'), /missing required argument 'scenario\.yaml'/);
    assertOneLineError(await run('simulate', PAPER, 'extra'), /too many arguments/);
  });

  it('shows progress on stderr for runs over a second, as lines when not on a terminal, and --quiet silences it', async () => {
    const loud = await run('compare', PAPER, '--seeds', '5', '--json');
    assert.match(loud.err, /^compare: \d+\/10 runs, \d+ s\n/m);
    assert.match(loud.err, /compare: 10\/10 runs/);
    assert.doesNotThrow(() => JSON.parse(loud.out), 'stdout stays one JSON document');
    const quiet = await run('compare', PAPER, '--seeds', '5', '--json', '--quiet');
    assert.equal(quiet.err, '');
    assert.equal(quiet.out, loud.out);
  });

  it('a run reporting progress gives the byte-identical result of one without', () => {
    const scenario = parseScenarioYaml(
      'host: { pcpus: 2 }\nvms:\n  - { name: a, vcpus: 4 }\nduration: 200ms\nseed: 3\n',
    );
    const reports: number[] = [];
    const sliced = simulate(scenario, 'stock-6.6', 3, (doneNs) => reports.push(doneNs));
    assert.equal(JSON.stringify(sliced), JSON.stringify(simulate(scenario, 'stock-6.6', 3)));
    assert.equal(reports.length, 20);
    assert.equal(reports.at(-1), scenario.duration);
  });

  it('agent --simulate removes its temporary node directory on exit and on SIGTERM', async () => {
    const ours = () => new Set(readdirSync(tmpdir()).filter((d) => d.startsWith('spinwise-simnode-')));
    const before = ours();
    const once = await run(
      'agent',
      '--simulate',
      PAPER,
      '--interval',
      '100ms',
      '--speed',
      'max',
      '--once',
      '--stdout',
    );
    assert.equal(once.code, 0, once.err);
    assert.deepEqual(ours(), before, 'nothing left after a normal exit');

    const child = spawn(
      process.execPath,
      [BIN, 'agent', '--simulate', PAPER, '--interval', '1m', '--stdout'],
      {
        stdio: ['ignore', 'ignore', 'pipe'],
      },
    );
    let err = '';
    child.stderr.on('data', (d: Buffer) => (err += d.toString()));
    while (!/under (\S+)/.test(err)) await new Promise((r) => setTimeout(r, 50));
    const dir = /under (\S+)/.exec(err)![1]!;
    assert.ok(ours().has(dir.split('/').pop()!), 'the node directory exists while the agent runs');
    child.kill('SIGTERM');
    const code = await new Promise<number | null>((r) => child.once('exit', r));
    assert.equal(code, 0, err);
    assert.deepEqual(ours(), before, 'nothing left after SIGTERM');
  });

  it('the installed command exits 2 with one line, and no stack, for a user error', async () => {
    const child = spawn(process.execPath, [BIN, 'simulate', PAPER, '--model', 'stock-9.9'], {
      stdio: 'pipe',
    });
    let err = '';
    child.stderr.on('data', (d: Buffer) => (err += d.toString()));
    const code = await new Promise<number | null>((r) => child.once('exit', r));
    assert.equal(code, 2);
    assert.equal(err.split('\n').filter(Boolean).length, 1, err);
    assert.match(err, /unknown model "stock-9\.9"/);
  });
});
