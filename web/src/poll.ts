/** Calls `load` every `everyMs` until `done(value)` or `timeoutMs`; returns the last value. */
export async function pollUntil<T>(
  load: () => Promise<T>,
  done: (value: T) => boolean,
  { everyMs = 1000, timeoutMs = 120_000, onValue }: { everyMs?: number; timeoutMs?: number; onValue?: (value: T) => void } = {},
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await load();
    onValue?.(value);
    if (done(value) || Date.now() > deadline) return value;
    await new Promise((resolve) => setTimeout(resolve, everyMs));
  }
}
