import { InvalidArgumentError } from 'commander';

/**
 * Parsers for option values: each refuses what it cannot take with a message that says what it
 * expected and gives an example; commander names the option in front of it.
 */

/** A TCP port (0: any free port). */
export function parsePort(text: string): number {
  const port = Number(text);
  if (!/^\d+$/.test(text) || port > 65535)
    throw new InvalidArgumentError('expected a TCP port 0–65535, e.g. 8080.');
  return port;
}

/** An integer in [min, max]. */
export function integerIn(
  min: number,
  max = Number.MAX_SAFE_INTEGER,
  example = min,
): (text: string) => number {
  return (text) => {
    const n = Number(text);
    if (!/^-?\d+$/.test(text) || n < min || n > max)
      throw new InvalidArgumentError(
        `expected an integer ${max === Number.MAX_SAFE_INTEGER ? `≥ ${min}` : `${min}–${max}`}, e.g. ${example}.`,
      );
    return n;
  };
}

const DURATION_MS: Record<string, number> = { ms: 1, s: 1000, m: 60_000, h: 3_600_000 };

/** A positive duration such as `10s`, `500ms`, `1.5m` or `1h`, in milliseconds. */
export function parseDurationMs(text: string): number {
  const m = /^(\d+(?:\.\d+)?)(ms|s|m|h)$/.exec(text);
  const ms = m ? Math.round(Number(m[1]) * DURATION_MS[m[2]!]!) : NaN;
  if (!(ms > 0))
    throw new InvalidArgumentError('expected a positive duration with a unit, e.g. 10s or 500ms.');
  return ms;
}

const BYTE_UNITS: Record<string, number> = { '': 1, k: 1024, m: 1024 ** 2, g: 1024 ** 3 };

/** A positive size in bytes: `67108864`, `64Mi`, `512Ki`, `1Gi`. */
export function parseBytes(text: string): number {
  const m = /^(\d+)(?:([kKmMgG])i?)?$/.exec(text);
  const bytes = m ? Number(m[1]) * BYTE_UNITS[(m[2] ?? '').toLowerCase()]! : NaN;
  if (!(bytes > 0) || !Number.isSafeInteger(bytes))
    throw new InvalidArgumentError('expected a positive size in bytes, e.g. 67108864 or 64Mi.');
  return bytes;
}

/** A speed-up of simulated time: a positive number, or `max` for as fast as the model runs. */
export function parseSpeed(text: string): number {
  if (text === 'max') return Infinity;
  const n = Number(text);
  if (!/^\d+(\.\d+)?$/.test(text) || !(n > 0))
    throw new InvalidArgumentError('expected a positive number or "max", e.g. 10.');
  return n;
}

/** A comma-separated list without empty items. */
export function parseList(text: string): string[] {
  const items = text.split(',').map((s) => s.trim());
  if (items.some((s) => s === ''))
    throw new InvalidArgumentError('expected a comma-separated list, e.g. a,b.');
  return items;
}
