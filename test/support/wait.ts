/**
 * The one polling helper of the suite: resolves once `check` holds, fails naming `what` after `timeoutMs`.
 * For state that has no event to wait on (a process exit, a Redis key written by another process); where an API
 * offers a long-poll, tests wait on that instead.
 */
export async function until(
  check: () => boolean | Promise<boolean>,
  what = 'condition',
  timeoutMs = 5000,
  intervalMs = 5,
): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, intervalMs));
  }
}

/** supertest sends a request only when it is awaited or then'd: start it now, await it later. */
export function send<T>(request: PromiseLike<T>): Promise<T> {
  return Promise.resolve(request);
}
