/**
 * The little the domain needs from a logger. pino's Logger satisfies it; the domain does not import
 * pino (or anything else of the observability package) so it stays transport- and vendor-neutral.
 */
export interface LogSink {
  info(fields: Record<string, unknown>, message: string): void;
  warn(fields: Record<string, unknown>, message: string): void;
  error(fields: Record<string, unknown>, message: string): void;
}

export const silentLog: LogSink = { info: () => {}, warn: () => {}, error: () => {} };
