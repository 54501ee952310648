/**
 * Log levels as stored (a smallint, so "at least warn" is one comparison) and the names clients may
 * send for them. Names are matched case-insensitively; common aliases of other logging libraries are
 * accepted and normalised (`WARNING` → warn, `err` → error, `critical` → fatal, `trace` → debug).
 */
export const LOG_LEVELS = ['debug', 'info', 'warn', 'error', 'fatal'] as const;
export type LogLevel = (typeof LOG_LEVELS)[number];

export const LEVEL_VALUE: Readonly<Record<LogLevel, number>> = {
  debug: 10,
  info: 20,
  warn: 30,
  error: 40,
  fatal: 50,
};

const ALIASES: Readonly<Record<string, LogLevel>> = {
  trace: 'debug',
  debug: 'debug',
  verbose: 'debug',
  info: 'info',
  information: 'info',
  informational: 'info',
  notice: 'info',
  warn: 'warn',
  warning: 'warn',
  error: 'error',
  err: 'error',
  fatal: 'fatal',
  critical: 'fatal',
  crit: 'fatal',
  alert: 'fatal',
  emergency: 'fatal',
  emerg: 'fatal',
  panic: 'fatal',
};

/** The level a client's name stands for, or null when it names none. */
export function normaliseLevel(name: string): LogLevel | null {
  return ALIASES[name.trim().toLowerCase()] ?? null;
}

export function levelName(value: number): LogLevel {
  if (value >= 50) return 'fatal';
  if (value >= 40) return 'error';
  if (value >= 30) return 'warn';
  if (value >= 20) return 'info';
  return 'debug';
}
