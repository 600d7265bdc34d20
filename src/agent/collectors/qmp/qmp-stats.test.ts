import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync } from 'node:fs';
import { createServer, type Server } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { it } from 'node:test';
import { testDataDir } from '../../test-data-dir';
import { collectQmpStats } from './qmp-stats';

const reply = (file: string) => readFileSync(testDataDir(__dirname, file), 'utf8').trim();

/** A QMP server as QEMU speaks it: greeting, CRLF line ends, an event between replies. */
function fakeQemu(socket: string): Promise<Server> {
  const server = createServer((conn) => {
    conn.write(
      '{"QMP": {"version": {"qemu": {"micro": 0, "minor": 2, "major": 8}}, "capabilities": ["oob"]}}\r\n',
    );
    let buffer = '';
    conn.on('data', (chunk) => {
      buffer += chunk.toString();
      let nl: number;
      while ((nl = buffer.indexOf('\n')) >= 0) {
        const cmd = JSON.parse(buffer.slice(0, nl)) as { execute: string };
        buffer = buffer.slice(nl + 1);
        if (cmd.execute === 'qmp_capabilities')
          conn.write(
            '{"return": {}}\r\n{"timestamp": {"seconds": 1, "microseconds": 2}, "event": "RTC_CHANGE", "data": {"offset": 0}}\r\n',
          );
        else if (cmd.execute === 'query-cpus-fast') conn.write(`${reply('query-cpus-fast.json')}\r\n`);
        else if (cmd.execute === 'query-stats') conn.write(`${reply('query-stats.json')}\r\n`);
        else conn.write('{"error": {"class": "CommandNotFound", "desc": "unknown"}}\r\n');
      }
    });
  });
  return new Promise((resolve) => server.listen(socket, () => resolve(server)));
}

it('reads per-vCPU KVM stats through QMP query-stats, by vCPU thread; a VM without a socket is reported', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'spinwise-qmp-'));
  const server = await fakeQemu(join(dir, 'default_web-1.sock'));
  try {
    const result = await collectQmpStats(dir, ['default_web-1', 'other-vm']);
    assert.deepEqual(
      [...result.byTid],
      [
        [4250, { haltExits: 5021, directedYieldAttempted: 66, directedYieldSuccessful: 61 }],
        [4251, { haltExits: 17, directedYieldAttempted: 0, directedYieldSuccessful: 0 }],
      ],
    );
    assert.equal(result.errors, 1);
    assert.deepEqual(result.missing, [
      { signal: 'qmpStats', reason: 'QMP unavailable for other-vm: ENOENT' },
    ]);
  } finally {
    server.close();
  }
  const none = await collectQmpStats(undefined, ['x']);
  assert.match(none.missing[0]!.reason, /no QMP socket directory configured/);
});
