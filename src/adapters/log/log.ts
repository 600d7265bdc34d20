/** How much a log line matters: operators filter on it (SPINWISE_LOG_LEVEL). */
export type LogLevel = 'debug' | 'info' | 'warn' | 'error';

/**
 * Where spinwise's components say what they do: one line, and its level (info when not said).
 * The command line sends it to stderr as text or as pino's JSON (SPINWISE_LOG_FORMAT).
 */
export type Log = (line: string, level?: LogLevel) => void;
