/**
 * Runs every cleanup step in order, each even when one before it failed (a connection that
 * cannot be ended must not keep the next one open), then rejects with the first failure, or
 * with an AggregateError of all of them when several failed.
 *
 * @example
 * ```ts
 * await runEvery([() => worker.stop(), () => listener.close(), () => pool.end()]);
 * ```
 */
export async function runEvery(steps: readonly (() => unknown)[]): Promise<void> {
  const failures: unknown[] = [];
  for (const step of steps) {
    try {
      await step();
    } catch (error) {
      failures.push(error);
    }
  }
  if (failures.length === 1) throw failures[0];
  if (failures.length > 1) throw new AggregateError(failures, 'Several cleanup steps failed');
}

/** Waits for every promise, then rejects as {@link runEvery} does if any of them failed. */
export async function allSettledOrThrow(promises: readonly Promise<unknown>[]): Promise<void> {
  const results = await Promise.allSettled(promises);
  await runEvery(
    results.map((result) => () => {
      if (result.status === 'rejected') throw result.reason;
    }),
  );
}
