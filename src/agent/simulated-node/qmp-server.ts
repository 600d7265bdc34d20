import { createServer, type Server, type Socket } from 'node:net';

/**
 * How a monitor behaves: as QEMU does (`qemu`, answering with `reply`), as a QEMU before 7.1
 * without query-stats (`old-qemu`), or as a broken or hostile peer: malformed JSON, the line
 * `null`, a line without end, nothing at all, or a connection closed after the greeting.
 */
export type QmpBehaviour = 'qemu' | 'old-qemu' | 'malformed' | 'null' | 'endless' | 'silent' | 'close';

const GREETING =
  '{"QMP": {"version": {"qemu": {"micro": 0, "minor": 2, "major": 7}, "package": ""}, "capabilities": ["oob"]}}\r\n';

/**
 * A QMP server on a UNIX socket, speaking as QEMU does (CRLF line ends, an event between
 * replies) — the simulated node's monitors — or misbehaving as `behaviour` says, for tests.
 * `commands` records what clients asked. It never keeps the process alive by itself.
 */
export async function startQmpServer(
  socket: string,
  behaviour: QmpBehaviour,
  reply: (command: { execute: string; arguments?: unknown }) => unknown = () => ({}),
): Promise<{
  server: Server;
  commands: { execute: string; arguments?: unknown }[];
  close: () => Promise<void>;
}> {
  const commands: { execute: string; arguments?: unknown }[] = [];
  const clients = new Set<Socket>();
  const server = createServer((conn) => {
    conn.unref();
    clients.add(conn);
    conn.on('close', () => clients.delete(conn));
    conn.on('error', () => undefined);
    if (behaviour === 'silent') return;
    if (behaviour === 'malformed') return void conn.write('{"QMP": {"version": \r\n');
    if (behaviour === 'null') return void conn.write('null\r\n');
    if (behaviour === 'endless') {
      const chunk = Buffer.alloc(64 * 1024, 'x');
      const pump = () => {
        while (!conn.destroyed && conn.write(chunk));
        if (!conn.destroyed) conn.once('drain', pump);
      };
      conn.write('{"QMP": {"version": {}, "capabilities": []}}\r\n{"return": "');
      return pump();
    }
    conn.write(GREETING);
    if (behaviour === 'close') return void conn.end();
    let buffer = '';
    conn.on('data', (chunk) => {
      buffer += chunk.toString();
      let nl: number;
      while ((nl = buffer.indexOf('\n')) >= 0) {
        const command = JSON.parse(buffer.slice(0, nl)) as { execute: string; arguments?: unknown };
        buffer = buffer.slice(nl + 1);
        commands.push(command);
        if (command.execute === 'qmp_capabilities')
          conn.write(
            '{"return": {}}\r\n{"timestamp": {"seconds": 1, "microseconds": 2}, "event": "RTC_CHANGE", "data": {"offset": 0}}\r\n',
          );
        else if (command.execute === 'query-stats' && behaviour === 'old-qemu')
          conn.write(
            '{"error": {"class": "CommandNotFound", "desc": "The command query-stats has not been found"}}\r\n',
          );
        else conn.write(`${JSON.stringify({ return: reply(command) })}\r\n`);
      }
    });
  });
  await new Promise<void>((resolve) => server.listen(socket, resolve));
  server.unref();
  return {
    server,
    commands,
    close: () =>
      new Promise((resolve) => {
        for (const c of clients) c.destroy();
        server.close(() => resolve());
      }),
  };
}
