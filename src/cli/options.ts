import { CliError } from './cli-error';

/** A TCP port from a flag's text (0: any free port). */
export function parsePort(text: string | undefined, flag = '--port'): number {
  const port = Number(text);
  if (!Number.isInteger(port) || port < 0 || port > 65535)
    throw new CliError(`${flag}: expected a TCP port, got "${text}"`);
  return port;
}
