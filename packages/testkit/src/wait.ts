export const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

export interface WaitForOptions {
  /** How long to keep probing before giving up (default 20 s). */
  timeoutMs?: number;
  /** The pause between two probes (default 25 ms). */
  intervalMs?: number;
  /** What the test waits for, named in the timeout error (a function: read when it times out). */
  what?: string | (() => string | Promise<string>);
}

/**
 * Polls `probe` until it returns a truthy value, and returns that value; throws once `timeoutMs` has
 * passed. For effects of background work (a worker, a relay, a child process) a test cannot await.
 */
export async function waitFor<T>(
  probe: () => Promise<T | undefined | null | false> | T | undefined | null | false,
  { timeoutMs = 20_000, intervalMs = 25, what = 'condition' }: WaitForOptions = {},
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await probe();
    if (value) return value;
    if (Date.now() > deadline) {
      const described = typeof what === 'string' ? what : await what();
      throw new Error(`timed out after ${timeoutMs} ms waiting for ${described}`);
    }
    await sleep(intervalMs);
  }
}
