// Polling until something holds: the one waitFor of the unit and process tests, the benchmarks and
// the cluster suites. Each of those keeps its own default timeout and interval (waitForWith).

/** What a check's value becomes once the wait is over: the check's type without its falsy values. */
export type Done<T> = Exclude<Awaited<T>, false | 0 | '' | null | undefined>;

/** A check: returns something truthy when done (resolved with it), anything falsy while not yet. */
export type Check<T> = () => T | Promise<T>;

export interface WaitForDefaults {
  timeoutMs: number;
  intervalMs: number;
}

/**
 * Calls `check` every intervalMs until it returns a truthy value, and resolves with that value:
 * a lookup returns what it found (undefined while missing), a test returns a boolean. Falsy means
 * not yet, 0 and '' included: to wait for a count or a text, return a test of it (`n >= 3`). A
 * check that throws counts as not yet; after timeoutMs the wait fails naming `what` and the last
 * error.
 */
export async function waitFor<T>(what: string, check: Check<T>, timeoutMs: number, intervalMs = 20): Promise<Done<T>> {
  const deadline = Date.now() + timeoutMs;
  let lastError: unknown;
  for (;;) {
    try {
      const value = await check();
      if (value) return value as Done<T>;
    } catch (error) {
      lastError = error;
    }
    if (Date.now() > deadline) {
      const why = lastError === undefined ? '' : `: ${lastError instanceof Error ? lastError.message : String(lastError)}`;
      throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}${why}`);
    }
    await new Promise((resolve) => setTimeout(resolve, intervalMs));
  }
}

/** waitFor with a caller's own defaults for the timeout and the interval. */
export function waitForWith(defaults: WaitForDefaults): <T>(what: string, check: Check<T>, timeoutMs?: number, intervalMs?: number) => Promise<Done<T>> {
  return (what, check, timeoutMs = defaults.timeoutMs, intervalMs = defaults.intervalMs) => waitFor(what, check, timeoutMs, intervalMs);
}
