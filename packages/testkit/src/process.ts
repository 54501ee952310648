import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { waitFor } from './wait.ts';

export interface NodeProcess {
  /** Everything the process wrote to stdout and stderr so far. */
  output(): string;
  /** Settles when the process has exited: its exit code, or the signal that ended it. */
  exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
  /** Sends `signal`, unless the process has exited already. */
  kill(signal: NodeJS.Signals): void;
  /**
   * Waits until the output contains `pattern` (a string) or matches it (a RegExp) and returns the
   * match; the timeout error quotes the output so far.
   */
  waitForOutput(pattern: string | RegExp, timeoutMs?: number): Promise<string[]>;
}

/**
 * Runs a TypeScript entry point (`src/main.ts`, a fixture) as its own Node process, the way
 * production runs it, with exactly `env` (plus PATH) as its environment: for tests of start-up,
 * SIGTERM and kill -9. The caller ends it (`kill`) and awaits `exited`.
 */
export function spawnNode(
  script: string,
  options: { cwd: string | URL; env: Record<string, string | undefined> },
): NodeProcess {
  const child = spawn(process.execPath, [script], {
    cwd: options.cwd instanceof URL ? fileURLToPath(options.cwd) : options.cwd,
    env: { PATH: process.env.PATH, ...options.env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  const collect = (chunk: Buffer) => {
    output += chunk.toString();
  };
  child.stdout.on('data', collect);
  child.stderr.on('data', collect);
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) => {
    child.once('exit', (code, signal) => resolve({ code, signal }));
  });
  return {
    output: () => output,
    exited,
    kill(signal) {
      if (child.exitCode === null && child.signalCode === null) child.kill(signal);
    },
    waitForOutput(pattern, timeoutMs = 20_000) {
      return waitFor(
        () => {
          if (typeof pattern !== 'string') return pattern.exec(output) ?? undefined;
          return output.includes(pattern) ? [pattern] : undefined;
        },
        { timeoutMs, what: () => `${pattern} in the output of ${script}; so far:\n${output}` },
      );
    },
  };
}
