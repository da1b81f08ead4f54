/**
 * Calls `onOrphaned` once this process's parent has died. A worker started through `npx`, a
 * shell script or a supervisor that was killed (or that did not pass a signal on) would
 * otherwise run on forever, reparented to PID 1; Node has no parent-death signal, so the parent
 * pid is checked every `intervalMs`.
 *
 * @returns A function that stops watching.
 */
export function onParentExit(onOrphaned: () => void, intervalMs = 500): () => void {
  const parent = process.ppid;
  const timer = setInterval(() => {
    if (process.ppid === parent && isAlive(parent)) return;
    clearInterval(timer);
    onOrphaned();
  }, intervalMs);
  timer.unref();
  return () => clearInterval(timer);
}

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    // EPERM: it exists, we may just not signal it.
    return (error as { code?: string }).code === 'EPERM';
  }
}
