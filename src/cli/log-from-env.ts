import pino from 'pino';
import type { Log, LogLevel } from '../adapters/log/log';
import { CliError, type CliIo } from './cli-error';

const LEVELS: readonly LogLevel[] = ['debug', 'info', 'warn', 'error'];
const FORMATS = ['text', 'json'] as const;

/**
 * The log of a long-running command, from the environment: SPINWISE_LOG_LEVEL (debug, info, warn,
 * error; default info) and SPINWISE_LOG_FORMAT — `text`, a line on stderr as before (default), or
 * `json`, pino's one object per line with `level`, `time`, `component` and `msg`, for a cluster's
 * log pipeline (the chart sets it).
 */
export function logFromEnv(env: NodeJS.ProcessEnv, io: CliIo, component: string): Log {
  const level = (env.SPINWISE_LOG_LEVEL ?? 'info') as LogLevel;
  if (!LEVELS.includes(level))
    throw new CliError(`SPINWISE_LOG_LEVEL: expected one of ${LEVELS.join(', ')}, got "${level}"`);
  const format = env.SPINWISE_LOG_FORMAT ?? 'text';
  if (!(FORMATS as readonly string[]).includes(format))
    throw new CliError(`SPINWISE_LOG_FORMAT: expected one of ${FORMATS.join(', ')}, got "${format}"`);
  if (format === 'json') {
    // Synchronous: the lines of a shutdown are written before the process exits.
    const logger = pino(
      { level, base: { component }, timestamp: pino.stdTimeFunctions.isoTime },
      pino.destination({ fd: 2, sync: true }),
    );
    return (line, at = 'info') => logger[at](line);
  }
  const min = LEVELS.indexOf(level);
  return (line, at = 'info') => {
    if (LEVELS.indexOf(at) >= min) io.err(`${at === 'info' ? '' : `${at}: `}${line}\n`);
  };
}
